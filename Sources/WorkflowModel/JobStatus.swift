/// The lifecycle state of a job, one phase of a workflow.
///
/// Legal transitions:
///
/// ```
/// pending ──▶ running ──▶ completed
///    │           └──────▶ failed
///    └──────────────────▶ cancelled   (an earlier job failed)
/// ```
public enum JobStatus: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Waiting for the jobs before it.
    case pending
    /// Its function is running.
    case running
    /// Its function returned.
    case completed
    /// Its function threw.
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
