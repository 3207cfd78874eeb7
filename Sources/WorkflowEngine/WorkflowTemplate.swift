/// A registered workflow type: how to check its parameters and which jobs it runs.
///
/// A template either has a fixed job list or derives it from the parameters (the `TEST`
/// template's job count is a parameter). ``plan`` checks the parameters and makes the jobs when a
/// workflow starts; ``makeJobs`` and ``deadline`` make them again, for parameters that passed.
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
///
/// // Parameters read once per start, into the jobs and the deadline they describe:
/// let batch = WorkflowTemplate(type: "BATCH") { params throws(EngineError) in
///     guard let count = params["count"].flatMap({ Int($0) }), (1...20).contains(count) else {
///         throw .invalidArgument(field: "params.count", reason: "must be from 1 to 20")
///     }
///     let jobs = (1...count).map { number in JobDefinition(name: "Batch \(number)") { context in /* … */ } }
///     return WorkflowPlan(jobs: jobs, deadline: .seconds(600))
/// }
/// ```
public struct WorkflowTemplate: Sendable {
    /// The workflow type, e.g. `IMPORT_ASSETS`.
    public var type: String
    /// Checks the start parameters and makes the new workflow's jobs and deadline from them;
    /// throws ``EngineError/Code/invalidArgument`` with a field such as `params.jobs` for a bad
    /// one.
    public let plan: @Sendable ([String: String]) throws(EngineError) -> WorkflowPlan
    /// The jobs to run for validated parameters, in order. Called again, with the same
    /// parameters, for a retry and for a workflow resumed after a restart: it must give the
    /// same job names each time. A template made by ``init(type:deadline:plan:)`` makes none
    /// for parameters its plan now refuses.
    public let makeJobs: @Sendable ([String: String]) -> [JobDefinition]
    /// How long a workflow may run, from its start (or its retry), before it fails at the job it
    /// is at with the code `DEADLINE_EXCEEDED`, for validated parameters; `nil` for no deadline.
    public let deadline: @Sendable ([String: String]) -> Duration?
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
        self.plan = { params throws(EngineError) in
            try validate(params)
            return WorkflowPlan(jobs: makeJobs(params), deadline: deadline(params))
        }
        self.deadline = deadline
        self.makeJobs = makeJobs
    }

    /// Creates a template that checks its parameters and makes its jobs in one pass, for
    /// parameters that are costly to read twice.
    ///
    /// A retry or a resumed workflow calls `plan` again, so its parameters must still pass it
    /// then (a workflow whose parameters no longer do resumes with jobs that fail saying so);
    /// a template whose check depends on anything but the parameters, such as a stored upload,
    /// uses ``init(type:validate:deadline:makeJobs:)``.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - deadline: The deadline alone, for a restart, which asks it of every stored workflow
    ///     of the type; it must give what `plan` gives. By default the plan's (the whole plan
    ///     made for it).
    ///   - plan: Checks the parameters and makes the workflow's jobs and deadline.
    public init(
        type: String,
        deadline: (@Sendable ([String: String]) -> Duration?)? = nil,
        plan: @escaping @Sendable ([String: String]) throws(EngineError) -> WorkflowPlan
    ) {
        self.type = type
        self.plan = plan
        self.makeJobs = { params in (try? plan(params))?.jobs ?? [] }
        self.deadline = deadline ?? { params in (try? plan(params))?.deadline }
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
