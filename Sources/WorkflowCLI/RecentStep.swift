import WorkflowMessages

/// One line of the live view's "latest steps": a step, or a notice the server sent.
public struct RecentStep: Hashable, Sendable {
    /// The sequence of the event that carried it.
    public var sequence: UInt64
    /// When it happened, in Unix epoch milliseconds.
    public var timestampMs: Int64
    /// Its level.
    public var level: WorkflowV1.LogLevel
    /// The job that logged it; empty for workflow-level notices.
    public var jobName: String
    /// The entity tag it names, such as `P-101`; empty when none.
    public var entityTag: String
    /// The text.
    public var message: String

    /// Creates a line.
    public init(sequence: UInt64, timestampMs: Int64, level: WorkflowV1.LogLevel, jobName: String, entityTag: String, message: String) {
        self.sequence = sequence
        self.timestampMs = timestampMs
        self.level = level
        self.jobName = jobName
        self.entityTag = entityTag
        self.message = message
    }
}
