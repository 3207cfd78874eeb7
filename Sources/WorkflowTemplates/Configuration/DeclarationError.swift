/// A problem in a declaration file (a templates configuration or a rules file), with the line
/// it is on.
///
/// Its description reads like a compiler diagnostic: `templates.conf:7: unknown job function
/// "import.fech"; known: …`.
package struct DeclarationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, as it was named to the loader.
    package var file: String
    /// The 1-based line the problem is on; 0 when it is about the file as a whole.
    package var line: Int
    /// Why the line is refused.
    package var reason: String

    /// Creates an error.
    package init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, or `file: reason` for the file as a whole.
    package var description: String {
        line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
    }
}
