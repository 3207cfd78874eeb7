/// The lifecycle state of a job, one phase of a workflow.
///
/// Legal transitions:
///
/// ```
/// pending ──▶ running ──▶ completed
///    │         │   ▲ └──▶ failed      (its last attempt failed)
///    │         └───┘                  (an attempt failed and the job retries)
///    └──────────────────▶ cancelled   (an earlier job failed)
/// ```
///
/// A job stays ``running`` across its attempts, including the wait before a retry.
public enum JobStatus: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Waiting for the jobs before it.
    case pending
    /// An attempt of its function is running, or the job waits for its next attempt.
    case running
    /// An attempt of its function returned.
    case completed
    /// Its last attempt threw, timed out or was interrupted, and no attempt is left.
    case failed
    /// It never ran because an earlier job failed (or the workflow was cancelled).
    case cancelled

    /// Whether the job has finished and will not change again.
    public var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled: true
        }
    }

    /// The upper-case name used by the API, e.g. `PENDING`.
    public var description: String {
        switch self {
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .cancelled: "CANCELLED"
        }
    }
}
