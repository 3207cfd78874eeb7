import WorkflowMessages

/// One line of the live view's "latest steps": a step, or a notice the server sent.
package struct RecentStep: Hashable, Sendable {
    /// The sequence of the event that carried it.
    package var sequence: UInt64
    /// When it happened, in Unix epoch milliseconds.
    package var timestampMs: Int64
    /// Its level.
    package var level: WorkflowV1.LogLevel
    /// The job that logged it; empty for workflow-level notices.
    package var jobName: String
    /// The entity tag it names, such as `P-101`; empty when none.
    package var entityTag: String
    /// The text.
    package var message: String

    /// Creates a line.
    package init(sequence: UInt64, timestampMs: Int64, level: WorkflowV1.LogLevel, jobName: String, entityTag: String, message: String) {
        self.sequence = sequence
        self.timestampMs = timestampMs
        self.level = level
        self.jobName = jobName
        self.entityTag = entityTag
        self.message = message
    }
}
