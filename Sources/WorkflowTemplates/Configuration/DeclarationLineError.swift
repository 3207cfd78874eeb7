/// Why one line of a declaration file failed to parse or check; the reader
/// (``DeclarationLine/parse(_:file:allowingSectionArguments:)``, ``TemplateConfiguration``)
/// turns it into a ``DeclarationError`` with the file and line.
struct DeclarationLineError: Error {
    /// What is wrong with the line, e.g. "missing a name before \"=\"".
    var reason: String
}
