/// The job functions templates can be built from, by name.
package struct JobCatalog: Sendable {
    private var functions: [String: BuiltInJobFunction] = [:]

    /// Creates a catalog of `functions` (a later one replaces an earlier one of the same name).
    package init(_ functions: [BuiltInJobFunction]) {
        for function in functions {
            self.functions[function.name] = function
        }
    }

    /// Every built-in function: `import.fetch`, `import.process`, `import.validate`,
    /// `import.save`, `rules.load`, `rules.execute`, `rules.apply`, `export.gather`,
    /// `export.excel`, `export.pdf`, `wait` and `fail`.
    package static let builtIn = JobCatalog(
        ImportJobs.all + RuleJobs.all + ExportJobs.all + UtilityJobs.all
    )

    /// The function called `name`, if any.
    package func function(named name: String) -> BuiltInJobFunction? {
        functions[name]
    }

    /// The function names, sorted.
    package var names: [String] {
        functions.keys.sorted()
    }
}
