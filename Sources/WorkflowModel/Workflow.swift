/// A user- or service-initiated action made of ordered jobs, such as "Import Gold Mine".
///
/// The full tree a console shows: the workflow, its jobs in order, and each job's steps.
///
/// ```swift
/// let workflow = try engine.workflow(id: id)
/// for job in workflow.jobs {
///     print(job.name, job.status, job.stepCount)
/// }
/// ```
public struct Workflow: Sendable, Hashable {
    /// Unique identifier, assigned by the engine.
    public var id: String
    /// The registered type, e.g. `IMPORT_ASSETS`.
    public var type: String
    /// Human-readable summary, e.g. "Import Gold Mine".
    public var summary: String
    /// Lifecycle state.
    public var status: WorkflowStatus
    /// When the workflow was created, in Unix epoch milliseconds (UTC).
    public var createdAtMs: Int64
    /// When the workflow started running, in Unix epoch milliseconds (UTC).
    public var startedAtMs: Int64
    /// When the workflow finished, in Unix epoch milliseconds (UTC); `nil` while running.
    public var finishedAtMs: Int64?
    /// Who started the workflow.
    public var userID: String
    /// Display name of who started the workflow.
    public var userName: String
    /// Parameters the jobs were started with.
    public var params: [String: String]
    /// The jobs, in the order they run.
    public var jobs: [Job]
    /// Total duration and the sum of the jobs' counters; set when the workflow finishes.
    public var stats: Stats
    /// The error of the job the workflow failed at.
    public var error: String?
    /// The id of the job the workflow failed at.
    public var failedJobID: String?
    /// The name of the job the workflow failed at.
    public var failedJobName: String?
    /// The caller-chosen id that made the start call safe to retry (empty if none).
    public var requestID: String
    /// 1 for the first run, plus one per retry.
    public var attempt: Int
    /// When the workflow fails if it has not ended, in Unix epoch milliseconds; `nil` for no
    /// deadline. Set from its template's deadline when it starts and when it is retried.
    public var deadlineAtMs: Int64?
    /// Why a caller asked the workflow to stop; `nil` if nobody did. Stored with the workflow,
    /// so that a restart before the running job stopped ends the workflow cancelled instead of
    /// running it on.
    public var cancelReason: String?
    /// Set when the workflow completed: the outputs its template designates (by default its last
    /// job's).
    public var result: [String: String]
    /// The files the workflow produced, in the order they were first made.
    public var artifacts: [Artifact]
    /// Who started the workflow (the caller's identity), which differs from ``userID`` when an
    /// admin started it for a user; empty when the server runs without authentication.
    public var startedBy: String
    /// Who retried the workflow last; empty if nobody did.
    public var retriedBy: String
    /// Who asked the workflow to stop; empty if nobody did.
    public var cancelledBy: String

    /// Creates a workflow.
    public init(
        id: String,
        type: String,
        summary: String = "",
        status: WorkflowStatus = .running,
        createdAtMs: Int64,
        startedAtMs: Int64,
        finishedAtMs: Int64? = nil,
        userID: String = "",
        userName: String = "",
        params: [String: String] = [:],
        jobs: [Job] = [],
        stats: Stats = Stats(),
        error: String? = nil,
        failedJobID: String? = nil,
        failedJobName: String? = nil,
        requestID: String = "",
        attempt: Int = 1,
        deadlineAtMs: Int64? = nil,
        cancelReason: String? = nil,
        result: [String: String] = [:],
        artifacts: [Artifact] = [],
        startedBy: String = "",
        retriedBy: String = "",
        cancelledBy: String = ""
    ) {
        self.id = id
        self.type = type
        self.summary = summary
        self.status = status
        self.createdAtMs = createdAtMs
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.userID = userID
        self.userName = userName
        self.params = params
        self.jobs = jobs
        self.stats = stats
        self.error = error
        self.failedJobID = failedJobID
        self.failedJobName = failedJobName
        self.requestID = requestID
        self.attempt = attempt
        self.deadlineAtMs = deadlineAtMs
        self.cancelReason = cancelReason
        self.result = result
        self.artifacts = artifacts
        self.startedBy = startedBy
        self.retriedBy = retriedBy
        self.cancelledBy = cancelledBy
    }
}
