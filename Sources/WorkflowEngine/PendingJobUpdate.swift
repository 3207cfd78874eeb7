import WorkflowModel

/// Something a job reported that the engine has not recorded yet.
enum PendingJobUpdate: Sendable {
    case step(message: String, level: LogLevel, entity: EntityReference?, timestampMs: Int64)
    case progress(Double, message: String, timestampMs: Int64)
    /// Records to keep in the same commit as the updates drained with them.
    case records([StoredRecord])
    /// A file to add to the workflow's artifacts; boxed, so that an update takes the room of a
    /// step, not of an artifact.
    indirect case artifact(Artifact)
}
