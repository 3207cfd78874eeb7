import WorkflowMessages

/// How a watch ended without an error.
package enum WatchEnding: Hashable, Sendable {
    /// The server ended the stream with OK: a one-workflow watch after the workflow's terminal
    /// event. Carries the last event delivered, if any.
    case streamEnded(lastEvent: WorkflowV1.LogEvent?)
    /// The task running the watch was cancelled (the consumer stopped it).
    case cancelled
}
