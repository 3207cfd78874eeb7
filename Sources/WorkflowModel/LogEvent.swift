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
    /// For job, step and retry events: the attempt of the job (or workflow) they belong to.
    public var attempt: Int
    /// Everything else, shared by copies until one of them changes it: an event is copied
    /// several times on its way to the log, the store and watchers, and a copy costs one
    /// reference instead of some twenty fields.
    private var details: DetailsBox

    /// Human-readable description, e.g. "Job Process Data started".
    public var message: String {
        get { details.fields.message }
        set { uniqueDetails().fields.message = newValue }
    }

    /// The workflow the event belongs to.
    public var workflowID: String {
        get { details.fields.workflowID }
        set { uniqueDetails().fields.workflowID = newValue }
    }

    /// The type of that workflow, e.g. `IMPORT_ASSETS`.
    public var workflowType: String {
        get { details.fields.workflowType }
        set { uniqueDetails().fields.workflowType = newValue }
    }

    /// Who started that workflow.
    public var userID: String {
        get { details.fields.userID }
        set { uniqueDetails().fields.userID = newValue }
    }

    /// The job the event is about; set for job, step, progress and failure-notice events.
    public var job: JobRef? {
        get { details.fields.job }
        set { uniqueDetails().fields.job = newValue }
    }

    /// The step; set for `stepLogged`. Its ``Step/sequence`` is always the event's.
    public var step: Step? {
        get {
            guard var step = details.fields.step else { return nil }
            step.sequence = sequence
            return step
        }
        set {
            var step = newValue
            step?.sequence = 0
            uniqueDetails().fields.step = step
        }
    }

    /// The progress from 0 to 1; set for `progressUpdated`.
    public var progress: Double? {
        get { details.fields.progress }
        set { uniqueDetails().fields.progress = newValue }
    }

    /// The progress message; set for `progressUpdated` (empty otherwise).
    public var progressMessage: String {
        get { details.fields.progressMessage }
        set { uniqueDetails().fields.progressMessage = newValue }
    }

    /// The status the workflow moved to; set for workflow lifecycle events.
    public var workflowStatus: WorkflowStatus? {
        get { details.fields.workflowStatus }
        set { uniqueDetails().fields.workflowStatus = newValue }
    }

    /// The status the job moved to; set for job lifecycle events.
    public var jobStatus: JobStatus? {
        get { details.fields.jobStatus }
        set { uniqueDetails().fields.jobStatus = newValue }
    }

    /// Duration and counters; set for completion and failure events.
    public var stats: Stats? {
        get { details.fields.stats }
        set { uniqueDetails().fields.stats = newValue }
    }

    /// The error; set for failure events and the failure notice.
    public var error: String? {
        get { details.fields.error }
        set { uniqueDetails().fields.error = newValue }
    }

    /// Where the error happened; set for `jobFailed`.
    public var stack: String? {
        get { details.fields.stack }
        set { uniqueDetails().fields.stack = newValue }
    }

    /// For ``LogEventKind/gap``: the sequences the watcher missed.
    public var gap: ClosedRange<UInt64>? {
        get { details.fields.gap }
        set { uniqueDetails().fields.gap = newValue }
    }

    /// For ``LogEventKind/jobRetryScheduled``: when the next attempt starts, in Unix epoch
    /// milliseconds.
    public var retryAtMs: Int64? {
        get { details.fields.retryAtMs }
        set { uniqueDetails().fields.retryAtMs = newValue }
    }

    /// For ``LogEventKind/jobAssigned``: the worker that took the attempt.
    public var worker: WorkerRef? {
        get { details.fields.worker }
        set { uniqueDetails().fields.worker = newValue }
    }

    /// For ``LogEventKind/jobCompleted``: the job's outputs; for
    /// ``LogEventKind/workflowCompleted``: the workflow's result.
    public var outputs: [String: String] {
        get { details.fields.outputs }
        set { uniqueDetails().fields.outputs = newValue }
    }

    /// For ``LogEventKind/workflowStarted``, ``LogEventKind/workflowRetried`` and
    /// ``LogEventKind/workflowCancelRequested``: who did it (the caller's identity); empty when
    /// the server runs without authentication.
    public var actor: String {
        get { details.fields.actor }
        set { uniqueDetails().fields.actor = newValue }
    }

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
        self.attempt = attempt
        var storedStep = step
        storedStep?.sequence = 0
        details = DetailsBox(
            DetailFields(
                message: message,
                workflowID: workflowID,
                workflowType: workflowType,
                userID: userID,
                job: job,
                step: storedStep,
                progress: progress,
                progressMessage: progressMessage,
                workflowStatus: workflowStatus,
                jobStatus: jobStatus,
                stats: stats,
                error: error,
                stack: stack,
                gap: gap,
                retryAtMs: retryAtMs,
                worker: worker,
                outputs: outputs,
                actor: actor
            )
        )
    }

    /// Whether the event ends its workflow; see ``LogEventKind/isTerminalWorkflowEvent``.
    public var isTerminalWorkflowEvent: Bool { kind.isTerminalWorkflowEvent }

    public static func == (lhs: LogEvent, rhs: LogEvent) -> Bool {
        lhs.sequence == rhs.sequence && lhs.timestampMs == rhs.timestampMs && lhs.kind == rhs.kind
            && lhs.level == rhs.level && lhs.attempt == rhs.attempt
            && (lhs.details === rhs.details || lhs.details.fields == rhs.details.fields)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sequence)
        hasher.combine(timestampMs)
        hasher.combine(kind)
        hasher.combine(level)
        hasher.combine(attempt)
        hasher.combine(details.fields)
    }

    /// The details box, copied first if another event shares it.
    private mutating func uniqueDetails() -> DetailsBox {
        if !isKnownUniquelyReferenced(&details) {
            details = DetailsBox(details.fields)
        }
        return details
    }
}

/// The fields of a ``LogEvent`` kept out of line (the step with its sequence zeroed: the
/// event's own is the step's).
private struct DetailFields: Sendable, Hashable {
    var message: String
    var workflowID: String
    var workflowType: String
    var userID: String
    var job: JobRef?
    var step: Step?
    var progress: Double?
    var progressMessage: String
    var workflowStatus: WorkflowStatus?
    var jobStatus: JobStatus?
    var stats: Stats?
    var error: String?
    var stack: String?
    var gap: ClosedRange<UInt64>?
    var retryAtMs: Int64?
    var worker: WorkerRef?
    var outputs: [String: String]
    var actor: String
}

/// The shared storage of a ``LogEvent``'s details.
///
/// `@unchecked Sendable` is safe: ``LogEvent`` writes `fields` only after
/// `isKnownUniquelyReferenced` proved that event the box's sole owner (it copies the box
/// otherwise), so a box reachable from two events — the only way one crosses threads — is never
/// written, only read. Every access to `fields` begins and ends inside one of `LogEvent`'s
/// getters and setters (there is no `_modify` to hold one open), so no two can overlap: its
/// dynamic exclusivity checks, a cost on every read of an event, are turned off.
private final class DetailsBox: @unchecked Sendable {
    @exclusivity(unchecked) var fields: DetailFields

    init(_ fields: DetailFields) {
        self.fields = fields
    }
}
