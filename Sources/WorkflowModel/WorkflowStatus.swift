/// The lifecycle state of a workflow.
///
/// A workflow is ``running`` from the moment it is started until its last job finishes; it
/// then moves to exactly one terminal state and never changes again:
///
/// ```
/// running ──▶ completed   (every job completed)
///    │
///    ├──────▶ failed      (a job threw; later jobs were cancelled)
///    └──────▶ cancelled   (reserved for cancellation by a caller)
/// ```
public enum WorkflowStatus: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Started and not yet finished: a job is running or about to run.
    case running
    /// Every job completed.
    case completed
    /// A job failed; the jobs after it were cancelled.
    case failed
    /// Stopped on request before it finished.
    case cancelled

    /// Whether the workflow has finished and will not change again.
    public var isTerminal: Bool {
        switch self {
        case .running: false
        case .completed, .failed, .cancelled: true
        }
    }

    /// The upper-case name used by the API, e.g. `RUNNING`.
    public var description: String {
        switch self {
        case .running: "RUNNING"
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .cancelled: "CANCELLED"
        }
    }
}
