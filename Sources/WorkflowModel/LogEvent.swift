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
    /// reference instead of eighteen more fields. (Inlinable, like the accessors below, so that
    /// other modules read a field straight from the box.)
    @usableFromInline var details: DetailsBox

    /// Human-readable description, e.g. "Job Process Data started".
    @inlinable public var message: String {
        get { details.fields.message }
        set { uniqueDetails().fields.message = newValue }
    }

    /// The workflow the event belongs to.
    @inlinable public var workflowID: String {
        get { details.fields.workflowID }
        set { uniqueDetails().fields.workflowID = newValue }
    }

    /// The type of that workflow, e.g. `IMPORT_ASSETS`.
    @inlinable public var workflowType: String {
        get { details.fields.workflowType }
        set { uniqueDetails().fields.workflowType = newValue }
    }

    /// Who started that workflow.
    @inlinable public var userID: String {
        get { details.fields.userID }
        set { uniqueDetails().fields.userID = newValue }
    }

    /// The job the event is about; set for job, step, progress and failure-notice events.
    @inlinable public var job: JobRef? {
        get { details.fields.job }
        set { uniqueDetails().fields.job = newValue }
    }

    /// The step; set for `stepLogged`. Its ``Step/sequence`` is always the event's.
    @inlinable public var step: Step? {
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
    @inlinable public var progress: Double? {
        get { details.fields.progress }
        set { uniqueDetails().fields.progress = newValue }
    }

    /// The progress message; set for `progressUpdated` (empty otherwise).
    @inlinable public var progressMessage: String {
        get { details.fields.progressMessage }
        set { uniqueDetails().fields.progressMessage = newValue }
    }

    /// The status the workflow moved to; set for workflow lifecycle events.
    @inlinable public var workflowStatus: WorkflowStatus? {
        get { details.fields.workflowStatus }
        set { uniqueDetails().fields.workflowStatus = newValue }
    }

    /// The status the job moved to; set for job lifecycle events.
    @inlinable public var jobStatus: JobStatus? {
        get { details.fields.jobStatus }
        set { uniqueDetails().fields.jobStatus = newValue }
    }

    /// Duration and counters; set for completion and failure events.
    @inlinable public var stats: Stats? {
        get { details.fields.stats }
        set { uniqueDetails().fields.stats = newValue }
    }

    /// The error; set for failure events and the failure notice.
    @inlinable public var error: String? {
        get { details.fields.error }
        set { uniqueDetails().fields.error = newValue }
    }

    /// Where the error happened; set for `jobFailed`.
    @inlinable public var stack: String? {
        get { details.fields.stack }
        set { uniqueDetails().fields.stack = newValue }
    }

    /// For ``LogEventKind/gap``: the sequences the watcher missed.
    @inlinable public var gap: ClosedRange<UInt64>? {
        get { details.fields.gap }
        set { uniqueDetails().fields.gap = newValue }
    }

    /// For ``LogEventKind/jobRetryScheduled``: when the next attempt starts, in Unix epoch
    /// milliseconds.
    @inlinable public var retryAtMs: Int64? {
        get { details.fields.retryAtMs }
        set { uniqueDetails().fields.retryAtMs = newValue }
    }

    /// For ``LogEventKind/jobAssigned``: the worker that took the attempt.
    @inlinable public var worker: WorkerRef? {
        get { details.fields.worker }
        set { uniqueDetails().fields.worker = newValue }
    }

    /// For ``LogEventKind/jobCompleted``: the job's outputs; for
    /// ``LogEventKind/workflowCompleted``: the workflow's result.
    @inlinable public var outputs: [String: String] {
        get { details.fields.outputs }
        set { uniqueDetails().fields.outputs = newValue }
    }

    /// For ``LogEventKind/workflowStarted``, ``LogEventKind/workflowRetried`` and
    /// ``LogEventKind/workflowCancelRequested``: who did it (the caller's identity); empty when
    /// the server runs without authentication.
    @inlinable public var actor: String {
        get { details.fields.actor }
        set { uniqueDetails().fields.actor = newValue }
    }

    /// Creates an event. A `step`'s own ``Step/sequence`` is not kept: the event's is the step's.
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

    /// Equal when every public field is (a step's sequence being always its event's).
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
    @inlinable mutating func uniqueDetails() -> DetailsBox {
        if !isKnownUniquelyReferenced(&details) {
            details = DetailsBox(details.fields)
        }
        return details
    }
}

/// The fields of a ``LogEvent`` kept out of line (the step with its sequence zeroed: the
/// event's own is the step's).
@usableFromInline struct DetailFields: Sendable, Hashable {
    @usableFromInline var message: String
    @usableFromInline var workflowID: String
    @usableFromInline var workflowType: String
    @usableFromInline var userID: String
    @usableFromInline var job: JobRef?
    @usableFromInline var step: Step?
    @usableFromInline var progress: Double?
    @usableFromInline var progressMessage: String
    @usableFromInline var workflowStatus: WorkflowStatus?
    @usableFromInline var jobStatus: JobStatus?
    @usableFromInline var stats: Stats?
    @usableFromInline var error: String?
    @usableFromInline var stack: String?
    @usableFromInline var gap: ClosedRange<UInt64>?
    @usableFromInline var retryAtMs: Int64?
    @usableFromInline var worker: WorkerRef?
    @usableFromInline var outputs: [String: String]
    @usableFromInline var actor: String
}

/// The shared storage of a ``LogEvent``'s details.
///
/// `@unchecked Sendable` is safe for the reason `Array`'s storage is: `fields` is written only
/// by a `LogEvent` setter, after `isKnownUniquelyReferenced` showed that event the box's only
/// holder (the setter copies the box otherwise). A thread that read the box through another
/// event had released that reference before the check could succeed, and the release orders
/// its reads before the write; a box handed whole to another thread is handed over by the
/// synchronisation that moves the event. Nothing keeps a weak, unowned or unmanaged reference
/// to a box, which the check would not count.
///
/// Dynamic exclusivity checks only catch overlapping accesses on one thread, and cost a call on
/// every read of an event: they are off for `fields`. The only write is a setter's single
/// assignment, during which nothing runs that can reach an event; reads (in `==` and `hash`,
/// possibly nested) overlap only other reads.
@usableFromInline final class DetailsBox: @unchecked Sendable {
    @usableFromInline @exclusivity(unchecked) var fields: DetailFields

    @usableFromInline init(_ fields: DetailFields) {
        self.fields = fields
    }
}
