/// One job of a ``TemplateDeclaration``: its name, the built-in function it runs, and the
/// parameters configured for it.
package struct JobDeclaration: Sendable, Hashable {
    /// The job's name, e.g. "Fetch External Assets".
    package var name: String
    /// The ``BuiltInJobFunction`` it runs, e.g. `import.fetch`.
    package var function: String
    /// Parameters this job and the jobs after it get when the start request does not give them.
    package var params: [String: String]
    /// The configuration line that declared it; 0 for templates declared in Swift.
    package var line: Int

    /// Creates a job declaration.
    package init(name: String, function: String, params: [String: String] = [:], line: Int = 0) {
        self.name = name
        self.function = function
        self.params = params
        self.line = line
    }
}
