import WorkflowModel

/// A step or progress update a job made that the engine has not recorded yet.
enum PendingJobUpdate: Sendable {
    case step(message: String, level: LogLevel, entity: EntityReference?, timestampMs: Int64)
    case progress(Double, message: String, timestampMs: Int64)
}
