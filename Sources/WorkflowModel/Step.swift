/// One recorded operation of a job, such as "Created P-101".
///
/// Steps are logged by job functions through the engine's job context and recorded both in
/// the job's ``Job/steps`` and as a `stepLogged` ``LogEvent``.
public struct Step: Sendable, Hashable {
    /// What happened, e.g. "Created P-101".
    public var message: String
    /// ``id`` in its parts. (Declared before ``level`` so that the level fills its last word.)
    @usableFromInline var storedID: StepID
    /// Severity of the step.
    public var level: LogLevel
    /// The entity the step is about, if any.
    public var entity: EntityReference?
    /// When the job logged the step, in Unix epoch milliseconds (UTC).
    public var timestampMs: Int64
    /// Sequence number of the `stepLogged` event that recorded this step.
    public var sequence: UInt64
    /// Which run of its job logged the step: 1 for the first, 2 after one retry, …
    public var attempt: Int

    /// Creates a step.
    public init(
        id: String,
        message: String,
        level: LogLevel = .info,
        entity: EntityReference? = nil,
        timestampMs: Int64,
        sequence: UInt64 = 0,
        attempt: Int = 1
    ) {
        self.init(id: StepID(id), message: message, level: level, entity: entity, timestampMs: timestampMs, sequence: sequence, attempt: attempt)
    }

    /// Creates a step whose id is given in its parts, such as `StepID(number: 3, ofJob: job.id)`.
    package init(
        id: StepID,
        message: String,
        level: LogLevel = .info,
        entity: EntityReference? = nil,
        timestampMs: Int64,
        sequence: UInt64 = 0,
        attempt: Int = 1
    ) {
        self.message = message
        storedID = id
        self.level = level
        self.entity = entity
        self.timestampMs = timestampMs
        self.sequence = sequence
        self.attempt = attempt
    }

    /// Unique identifier of the step, `<job id>-s<n>` for the steps the engine numbers.
    ///
    /// Built when read from its parts (``idParts``), which encoders write instead.
    public var id: String {
        get { storedID.text }
        set { storedID = StepID(newValue) }
    }

    /// ``id`` in its parts. Inlinable so that an encoder reading a step where it lies (through
    /// a pointer) loads this one field: a call across modules copied the whole step first,
    /// retaining each string it holds (9–11 % of the samples of a read of a tree not in the
    /// encoding cache).
    @inlinable
    package var idParts: StepID {
        storedID
    }
}
