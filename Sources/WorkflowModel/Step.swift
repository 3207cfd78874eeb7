/// One recorded operation of a job, such as "Created P-101".
///
/// Steps are logged by job functions through the engine's job context and recorded both in
/// the job's ``Job/steps`` and as a `stepLogged` ``LogEvent``.
public struct Step: Sendable, Hashable {
    /// Unique identifier of the step.
    public var id: String
    /// What happened, e.g. "Created P-101".
    public var message: String
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
        self.id = id
        self.message = message
        self.level = level
        self.entity = entity
        self.timestampMs = timestampMs
        self.sequence = sequence
        self.attempt = attempt
    }
}
