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
    /// reference instead of eighteen more fields. Internal so that the getters can inline into
    /// other modules (`BENCHMARKS.md`, "`LogEvent`'s getters"); only this file's setters write it.
    @usableFromInline private(set) var details: DetailsBox

    /// Human-readable description, e.g. "Job Process Data started".
    public var message: String {
        @inlinable get { details.fields.message }
        set { uniqueDetails().fields.message = newValue }
    }

    /// The workflow the event belongs to.
    public var workflowID: String {
        @inlinable get { details.fields.workflowID }
        set { uniqueDetails().fields.workflowID = newValue }
    }

    /// The type of that workflow, e.g. `IMPORT_ASSETS`.
    public var workflowType: String {
        @inlinable get { details.fields.workflowType }
        set { uniqueDetails().fields.workflowType = newValue }
    }

    /// Who started that workflow.
    public var userID: String {
        @inlinable get { details.fields.userID }
        set { uniqueDetails().fields.userID = newValue }
    }

    /// The job the event is about; set for job, step, progress and failure-notice events.
    public var job: JobRef? {
        @inlinable get { details.fields.job }
        set { uniqueDetails().fields.job = newValue }
    }

    /// The step; set for `stepLogged`. Its ``Step/sequence`` is always the event's.
    public var step: Step? {
        @inlinable get {
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

    /// Whether ``step`` is set, without copying the step out.
    @inlinable public var hasStep: Bool {
        details.fields.step != nil
    }

    /// The level of ``step``, without copying the step out; `nil` when no step is set.
    @inlinable public var stepLevel: LogLevel? {
        details.fields.step?.level
    }

    /// The progress from 0 to 1; set for `progressUpdated`.
    public var progress: Double? {
        @inlinable get { details.fields.extra?.fields.progress }
        set { setExtra(\.progress, to: newValue, isDefault: newValue == nil) }
    }

    /// The progress message; set for `progressUpdated` (empty otherwise).
    public var progressMessage: String {
        @inlinable get { details.fields.extra?.fields.progressMessage ?? "" }
        set { setExtra(\.progressMessage, to: newValue, isDefault: newValue.isEmpty) }
    }

    /// The status the workflow moved to; set for workflow lifecycle events.
    public var workflowStatus: WorkflowStatus? {
        @inlinable get { details.fields.workflowStatus }
        set { uniqueDetails().fields.workflowStatus = newValue }
    }

    /// The status the job moved to; set for job lifecycle events.
    public var jobStatus: JobStatus? {
        @inlinable get { details.fields.jobStatus }
        set { uniqueDetails().fields.jobStatus = newValue }
    }

    /// Duration and counters; set for completion and failure events.
    public var stats: Stats? {
        @inlinable get { details.fields.stats }
        set { uniqueDetails().fields.stats = newValue }
    }

    /// The error; set for failure events and the failure notice.
    public var error: String? {
        @inlinable get { details.fields.extra?.fields.error }
        set { setExtra(\.error, to: newValue, isDefault: newValue == nil) }
    }

    /// Where the error happened; set for `jobFailed`.
    public var stack: String? {
        @inlinable get { details.fields.extra?.fields.stack }
        set { setExtra(\.stack, to: newValue, isDefault: newValue == nil) }
    }

    /// For ``LogEventKind/gap``: the sequences the watcher missed.
    public var gap: ClosedRange<UInt64>? {
        @inlinable get { details.fields.extra?.fields.gap }
        set { setExtra(\.gap, to: newValue, isDefault: newValue == nil) }
    }

    /// For ``LogEventKind/jobRetryScheduled``: when the next attempt starts, in Unix epoch
    /// milliseconds.
    public var retryAtMs: Int64? {
        @inlinable get { details.fields.extra?.fields.retryAtMs }
        set { setExtra(\.retryAtMs, to: newValue, isDefault: newValue == nil) }
    }

    /// For ``LogEventKind/jobAssigned``: the worker that took the attempt.
    public var worker: WorkerRef? {
        @inlinable get { details.fields.extra?.fields.worker }
        set { setExtra(\.worker, to: newValue, isDefault: newValue == nil) }
    }

    /// For ``LogEventKind/jobCompleted``: the job's outputs; for
    /// ``LogEventKind/workflowCompleted``: the workflow's result.
    public var outputs: [String: String] {
        @inlinable get { details.fields.extra?.fields.outputs ?? [:] }
        set { setExtra(\.outputs, to: newValue, isDefault: newValue.isEmpty) }
    }

    /// For ``LogEventKind/workflowStarted``, ``LogEventKind/workflowRetried`` and
    /// ``LogEventKind/workflowCancelRequested``: who did it (the caller's identity); empty when
    /// the server runs without authentication.
    public var actor: String {
        @inlinable get { details.fields.extra?.fields.actor ?? "" }
        set { setExtra(\.actor, to: newValue, isDefault: newValue.isEmpty) }
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
        let extra = ExtraFields(
            progress: progress,
            progressMessage: progressMessage,
            error: error,
            stack: stack,
            gap: gap,
            retryAtMs: retryAtMs,
            worker: worker,
            outputs: outputs,
            actor: actor
        )
        details = DetailsBox(
            DetailFields(
                message: message,
                workflowID: workflowID,
                workflowType: workflowType,
                userID: userID,
                job: job,
                step: storedStep,
                workflowStatus: workflowStatus,
                jobStatus: jobStatus,
                stats: stats,
                extra: extra.isEmpty ? nil : ExtraBox(extra)
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
    private mutating func uniqueDetails() -> DetailsBox {
        if !isKnownUniquelyReferenced(&details) {
            details = DetailsBox(details.fields)
        }
        return details
    }

    /// Sets one of the rarer fields; a default on an event without their box leaves it without.
    private mutating func setExtra<Value>(_ field: WritableKeyPath<ExtraFields, Value>, to value: Value, isDefault: Bool) {
        if isDefault, details.fields.extra == nil {
            return
        }
        uniqueDetails().uniqueExtra().fields[keyPath: field] = value
    }
}

/// The fields of a ``LogEvent`` in its details box: those step and lifecycle events carry (the
/// step with its sequence zeroed: the event's own is the step's), and a reference to the rarer
/// ones, which a step event or a plain lifecycle event does without (a failure's error, an
/// actor or a job's outputs bring that second box).
@usableFromInline
struct DetailFields: Sendable, Hashable {
    @usableFromInline var message: String
    @usableFromInline var workflowID: String
    @usableFromInline var workflowType: String
    @usableFromInline var userID: String
    @usableFromInline var job: JobRef?
    @usableFromInline var step: Step?
    @usableFromInline var workflowStatus: WorkflowStatus?
    @usableFromInline var jobStatus: JobStatus?
    @usableFromInline var stats: Stats?
    /// `nil` when every field of ``ExtraFields`` has its default (a box of defaults is equal).
    @usableFromInline var extra: ExtraBox?

    @usableFromInline
    static func == (lhs: DetailFields, rhs: DetailFields) -> Bool {
        lhs.message == rhs.message && lhs.workflowID == rhs.workflowID && lhs.workflowType == rhs.workflowType
            && lhs.userID == rhs.userID && lhs.job == rhs.job && lhs.step == rhs.step
            && lhs.workflowStatus == rhs.workflowStatus && lhs.jobStatus == rhs.jobStatus && lhs.stats == rhs.stats
            && (lhs.extra === rhs.extra || lhs.extraFields == rhs.extraFields)
    }

    @usableFromInline
    func hash(into hasher: inout Hasher) {
        hasher.combine(message)
        hasher.combine(workflowID)
        hasher.combine(workflowType)
        hasher.combine(userID)
        hasher.combine(job)
        hasher.combine(step)
        hasher.combine(workflowStatus)
        hasher.combine(jobStatus)
        hasher.combine(stats)
        hasher.combine(extraFields)
    }

    /// The extra fields, their defaults without a box.
    private var extraFields: ExtraFields { extra?.fields ?? ExtraFields() }
}

/// The fields of a ``LogEvent`` that only some kinds of event set.
@usableFromInline
struct ExtraFields: Sendable, Hashable {
    @usableFromInline var progress: Double?
    @usableFromInline var progressMessage: String = ""
    @usableFromInline var error: String?
    @usableFromInline var stack: String?
    @usableFromInline var gap: ClosedRange<UInt64>?
    @usableFromInline var retryAtMs: Int64?
    @usableFromInline var worker: WorkerRef?
    @usableFromInline var outputs: [String: String] = [:]
    @usableFromInline var actor: String = ""

    /// Whether every field has its default.
    var isEmpty: Bool {
        progress == nil
            && progressMessage.isEmpty
            && error == nil
            && stack == nil
            && gap == nil
            && retryAtMs == nil
            && worker == nil
            && outputs.isEmpty
            && actor.isEmpty
    }
}

/// The shared storage of a ``LogEvent``'s details.
///
/// `@unchecked Sendable` is safe for the reason `Array`'s storage is: `fields` is written only
/// by a `LogEvent` setter, after `isKnownUniquelyReferenced` showed that event the box's only
/// holder (the setter copies the box otherwise). A thread that read the box through another
/// event had released that reference before the check could succeed, and the release orders
/// its reads before the write; a box handed whole to another thread is handed over by the
/// synchronisation that moves the event. Nothing keeps a weak, unowned or unmanaged reference
/// to a box, which the check would not count (the box is internal only so that `LogEvent`'s
/// inlined getters can read it; `fields` and the event's `details` are set in this file only).
///
/// Dynamic exclusivity checks only catch overlapping accesses on one thread, and cost a call on
/// every read of an event: they are off for `fields`. The only writes are a setter's single
/// assignment and ``uniqueExtra()``'s, during which nothing runs that can reach an event;
/// reads (in `==` and `hash`, possibly nested, and the getters) overlap only other reads.
@usableFromInline
final class DetailsBox: @unchecked Sendable {
    @usableFromInline @exclusivity(unchecked) fileprivate(set) var fields: DetailFields

    init(_ fields: DetailFields) {
        self.fields = fields
    }

    /// The extra fields' box, made (or copied, if another details box shares it) first. Called
    /// only on a box its event holds alone.
    func uniqueExtra() -> ExtraBox {
        if !isKnownUniquelyReferenced(&fields.extra) {
            fields.extra = ExtraBox(fields.extra?.fields ?? ExtraFields())
        }
        return fields.extra!
    }
}

/// The shared storage of a ``LogEvent``'s ``ExtraFields``, reachable only from
/// ``DetailsBox``es.
///
/// `@unchecked Sendable` for the reason ``DetailsBox`` is: `fields` is written only by a
/// `LogEvent` setter, on the box ``DetailsBox/uniqueExtra()`` returned — the event holding its
/// details box alone, and that box holding this one alone; its exclusivity checks are off for
/// the same reason.
@usableFromInline
final class ExtraBox: @unchecked Sendable {
    @usableFromInline @exclusivity(unchecked) fileprivate(set) var fields: ExtraFields

    init(_ fields: ExtraFields) {
        self.fields = fields
    }
}
