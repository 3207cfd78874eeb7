import WorkflowEngine

/// One job of a ``TemplateDeclaration``: its name, the built-in function it runs (or the queue a
/// worker of another service serves it from), the parameters configured for it, and how it is
/// retried and timed out.
///
/// Unless told otherwise a job gets the product default: ``ProductTemplates/retryPolicy``
/// (3 attempts, waiting 1 s then 2 s ±20 %, the code `VALIDATION` never retried) and
/// ``ProductTemplates/jobTimeout`` (30 minutes per attempt).
///
/// ```swift
/// JobDeclaration(name: "Fetch External Assets", function: "import.fetch", timeout: .seconds(30))
/// ```
package struct JobDeclaration: Sendable, Hashable {
    /// The job's name, e.g. "Fetch External Assets".
    package var name: String
    /// The ``BuiltInJobFunction`` it runs, e.g. `import.fetch`; ``remoteFunction`` for a remote job.
    package var function: String
    /// For a job a worker runs: its queue and lease timeouts; `nil` for a built-in function.
    package var remote: RemoteJob?
    /// Parameters this job and the jobs after it get when the start request does not give them.
    package var params: [String: String]
    /// When a failed attempt runs again.
    package var retryPolicy: RetryPolicy
    /// Each attempt's start-to-close timeout; `nil` for none.
    package var timeout: Duration?
    /// The configuration line that declared it; 0 for templates declared in Swift.
    package var line: Int

    /// The function name of a remote job's configuration line.
    package static let remoteFunction = "remote"

    /// Creates a job declaration.
    ///
    /// - Parameters:
    ///   - name: The job's name.
    ///   - function: The built-in function it runs, or ``remoteFunction``.
    ///   - remote: For a job a worker runs: its queue and lease timeouts.
    ///   - params: Parameters this job and the jobs after it get unless the request gives them.
    ///   - retryPolicy: When a failed attempt runs again; the product default by default.
    ///   - timeout: Each attempt's start-to-close timeout; the product default (30 minutes) by
    ///     default, `nil` for none.
    ///   - line: The configuration line that declared it.
    package init(
        name: String,
        function: String,
        remote: RemoteJob? = nil,
        params: [String: String] = [:],
        retryPolicy: RetryPolicy = ProductTemplates.retryPolicy,
        timeout: Duration? = ProductTemplates.jobTimeout,
        line: Int = 0
    ) {
        self.name = name
        self.function = function
        self.remote = remote
        self.params = params
        self.retryPolicy = retryPolicy
        self.timeout = timeout
        self.line = line
    }
}
