/// Where a watched workflow is now: whether it has ended, and its current attempt.
struct WorkflowProgress: Sendable {
    /// The workflow is no longer running (or no longer retained).
    var hasEnded: Bool
    /// Its attempt: 1, plus one per retry.
    var attempt: Int
}
