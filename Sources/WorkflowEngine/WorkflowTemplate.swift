/// A registered workflow type: how to check its parameters and which jobs it runs.
///
/// A template either has a fixed job list or derives it from the parameters (the `TEST`
/// template's job count is a parameter). ``validate`` runs before the workflow is created;
/// ``makeJobs`` runs only on parameters that passed it.
///
/// ```swift
/// let importAssets = WorkflowTemplate(
///     type: "IMPORT_ASSETS",
///     jobs: [
///         JobDefinition(name: "Fetch External") { context in /* … */ },
///         JobDefinition(name: "Process Data") { context in /* … */ },
///     ],
///     validate: { params throws(EngineError) in
///         guard params["file_path"] != nil else {
///             throw .invalidArgument(field: "params.file_path", reason: "is required")
///         }
///     }
/// )
/// ```
public struct WorkflowTemplate: Sendable {
    /// The workflow type, e.g. `IMPORT_ASSETS`.
    public var type: String
    /// Checks the start parameters; throws ``EngineError/Code/invalidArgument`` with a field
    /// such as `params.jobs` for a bad one.
    public var validate: @Sendable ([String: String]) throws(EngineError) -> Void
    /// The jobs to run for validated parameters, in order. Called again, with the same
    /// parameters, for a retry and for a workflow resumed after a restart: it must give the
    /// same job names each time.
    public var makeJobs: @Sendable ([String: String]) -> [JobDefinition]
    /// How long a workflow may run, from its start (or its retry), before it fails at the job it
    /// is at with the code `DEADLINE_EXCEEDED`, for validated parameters; `nil` for no deadline.
    public var deadline: @Sendable ([String: String]) -> Duration?
    /// The outputs that make a completed workflow's result, each taken from the latest job that
    /// set it; `nil` (the default) for every output of the last job.
    public var resultOutputs: [String]?

    /// Creates a template whose job list depends on the parameters.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - validate: Checks the start parameters; accepts everything by default.
    ///   - deadline: How long a workflow may run, for validated parameters; none by default.
    ///   - makeJobs: The jobs to run for validated parameters.
    public init(
        type: String,
        validate: @escaping @Sendable ([String: String]) throws(EngineError) -> Void = { _ in },
        deadline: @escaping @Sendable ([String: String]) -> Duration? = { _ in nil },
        makeJobs: @escaping @Sendable ([String: String]) -> [JobDefinition]
    ) {
        self.type = type
        self.validate = validate
        self.deadline = deadline
        self.makeJobs = makeJobs
    }

    /// Creates a template with a fixed job list.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - jobs: The jobs, in the order they run.
    ///   - deadline: How long a workflow may run; `nil` (the default) for no deadline.
    ///   - validate: Checks the start parameters; accepts everything by default.
    public init(
        type: String,
        jobs: [JobDefinition],
        deadline: Duration? = nil,
        validate: @escaping @Sendable ([String: String]) throws(EngineError) -> Void = { _ in }
    ) {
        self.init(type: type, validate: validate, deadline: { _ in deadline }, makeJobs: { _ in jobs })
    }
}
