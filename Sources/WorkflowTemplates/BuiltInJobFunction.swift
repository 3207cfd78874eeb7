import WorkflowEngine

/// A named job function that templates, built in or declared in a configuration file, use
/// for a job, e.g. `import.fetch`.
///
/// ```swift
/// let wait = BuiltInJobFunction(name: "wait", validate: { _ in }) { run in
///     try await Task.sleep(for: .milliseconds(100))
/// }
/// ```
package struct BuiltInJobFunction: Sendable {
    /// The name a configuration refers to, e.g. `import.fetch`.
    package var name: String
    /// Checks the parameters the job will get (start parameters filled in with configured
    /// ones); throws ``EngineError/Code/invalidArgument`` naming e.g. `params.file_path`.
    ///
    /// Check optional parameters before required ones and report a missing one with the
    /// reason "is required": the configuration loader checks a job's configured parameters
    /// alone and ignores only that complaint, since the start request may give the value.
    package var validate: @Sendable ([String: String]) throws(EngineError) -> Void
    /// The work.
    package var run: @Sendable (JobRun) async throws -> Void

    /// Creates a job function.
    package init(
        name: String,
        validate: @escaping @Sendable ([String: String]) throws(EngineError) -> Void,
        run: @escaping @Sendable (JobRun) async throws -> Void
    ) {
        self.name = name
        self.validate = validate
        self.run = run
    }
}
