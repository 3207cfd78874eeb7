/// One change made by the engine, as streamed to watchers.
///
/// Events carry server-wide, strictly increasing ``sequence`` numbers starting at 1; a watcher
/// resumes by asking for the events after the last sequence it saw. Which optional fields are
/// set depends on ``kind``:
///
/// | kind | set |
/// | --- | --- |
/// | workflow lifecycle | ``workflowStatus``; ``stats`` when finished; ``error`` when failed |
/// | job lifecycle | ``job``, ``jobStatus``; ``stats`` when finished; ``error``/``stack`` when failed |
/// | `stepLogged` | ``job``, ``step`` |
/// | `progressUpdated` | ``job``, ``progress``, ``progressMessage`` |
/// | `failureNotice` | ``job`` (the failed one), ``error`` |
/// | `jobRetryScheduled` | ``job``, ``error``, ``stack``, ``retryAtMs`` |
/// | `jobInterrupted` | ``job``, ``error`` |
/// | `jobAssigned` | ``job``, ``worker`` |
/// | `statsUpdated` | ``job``, ``stats`` (counters so far) |
/// | `workflowStarted`, `workflowRetried`, `workflowCancelRequested` | ``actor`` too |
///
/// ```swift
/// if event.kind == .stepLogged, let step = event.step {
///     print(event.sequence, step.message, step.entity?.tag ?? "")
/// }
/// ```
public struct LogEvent: Sendable, Hashable {
    /// Server-wide and strictly increasing, starting at 1.
    public var sequence: UInt64
    /// When the change happened, in Unix epoch milliseconds (UTC).
    public var timestampMs: Int64
    /// What the event reports.
    public var kind: LogEventKind
    /// Severity of the event.
    public var level: LogLevel
    /// Human-readable description, e.g. "Job Process Data started".
    public var message: String
    /// The workflow the event belongs to.
    public var workflowID: String
    /// The type of that workflow, e.g. `IMPORT_ASSETS`.
    public var workflowType: String
    /// Who started that workflow.
    public var userID: String
    /// The job the event is about; set for job, step, progress and failure-notice events.
    public var job: JobRef?
    /// The step; set for `stepLogged`.
    public var step: Step?
    /// The progress from 0 to 1; set for `progressUpdated`.
    public var progress: Double?
    /// The progress message; set for `progressUpdated` (empty otherwise).
    public var progressMessage: String
    /// The status the workflow moved to; set for workflow lifecycle events.
    public var workflowStatus: WorkflowStatus?
    /// The status the job moved to; set for job lifecycle events.
    public var jobStatus: JobStatus?
    /// Duration and counters; set for completion and failure events.
    public var stats: Stats?
    /// The error; set for failure events and the failure notice.
    public var error: String?
    /// Where the error happened; set for `jobFailed`.
    public var stack: String?

    /// For ``LogEventKind/gap``: the sequences the watcher missed.
    public var gap: ClosedRange<UInt64>?
    /// For job, step and retry events: the attempt of the job (or workflow) they belong to.
    public var attempt: Int
    /// For ``LogEventKind/jobRetryScheduled``: when the next attempt starts, in Unix epoch
    /// milliseconds.
    public var retryAtMs: Int64?
    /// For ``LogEventKind/jobAssigned``: the worker that took the attempt.
    public var worker: WorkerRef?
    /// For ``LogEventKind/jobCompleted``: the job's outputs; for
    /// ``LogEventKind/workflowCompleted``: the workflow's result.
    public var outputs: [String: String]
    /// For ``LogEventKind/workflowStarted``, ``LogEventKind/workflowRetried`` and
    /// ``LogEventKind/workflowCancelRequested``: who did it (the caller's identity); empty when
    /// the server runs without authentication.
    public var actor: String

    /// Creates an event.
    public init(
        sequence: UInt64 = 0,
        timestampMs: Int64,
        kind: LogEventKind,
        level: LogLevel,
        message: String,
        workflowID: String,
        workflowType: String,
        userID: String = "",
        job: JobRef? = nil,
        step: Step? = nil,
        progress: Double? = nil,
        progressMessage: String = "",
        workflowStatus: WorkflowStatus? = nil,
        jobStatus: JobStatus? = nil,
        stats: Stats? = nil,
        error: String? = nil,
        stack: String? = nil,
        gap: ClosedRange<UInt64>? = nil,
        attempt: Int = 0,
        retryAtMs: Int64? = nil,
        worker: WorkerRef? = nil,
        outputs: [String: String] = [:],
        actor: String = ""
    ) {
        self.sequence = sequence
        self.timestampMs = timestampMs
        self.kind = kind
        self.level = level
        self.message = message
        self.workflowID = workflowID
        self.workflowType = workflowType
        self.userID = userID
        self.job = job
        self.step = step
        self.progress = progress
        self.progressMessage = progressMessage
        self.workflowStatus = workflowStatus
        self.jobStatus = jobStatus
        self.stats = stats
        self.error = error
        self.stack = stack
        self.gap = gap
        self.attempt = attempt
        self.retryAtMs = retryAtMs
        self.worker = worker
        self.outputs = outputs
        self.actor = actor
    }

    /// Whether the event ends its workflow; see ``LogEventKind/isTerminalWorkflowEvent``.
    public var isTerminalWorkflowEvent: Bool { kind.isTerminalWorkflowEvent }
}
