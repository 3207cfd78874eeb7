/// What a ``LogEvent`` reports.
public enum LogEventKind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A workflow was started; its jobs are pending.
    case workflowStarted
    /// Every job of a workflow completed. Terminal.
    case workflowCompleted
    /// A workflow failed at one of its jobs. Terminal.
    case workflowFailed
    /// A workflow was cancelled. Terminal.
    case workflowCancelled
    /// A job started running.
    case jobStarted
    /// A job's function returned.
    case jobCompleted
    /// A job's function threw.
    case jobFailed
    /// A job was cancelled: it stopped on a cancel request, or never ran because an earlier job
    /// failed or the workflow was cancelled.
    case jobCancelled
    /// A job logged a step.
    case stepLogged
    /// A job reported progress.
    case progressUpdated
    /// "IMPORT_ASSETS failed at Process Data: <error>", for notifying the user of a failure.
    case failureNotice
    /// Not a change of the engine: a watcher fell behind the retained log and missed the events
    /// in ``LogEvent/gap``. Made by the watch stream, never stored.
    case gap
    /// A failed workflow was retried and runs again from its failed job.
    case workflowRetried
    /// An attempt of a job failed or timed out and its retry policy runs the job again:
    /// ``LogEvent/attempt`` is the failed attempt, ``LogEvent/error`` its error and
    /// ``LogEvent/retryAtMs`` when the next attempt starts.
    case jobRetryScheduled
    /// The server stopped while an attempt of a job ran (a shutdown that outlasted its grace
    /// period, or a crash found at the next start); the job runs again as its next attempt
    /// when the server runs again, if its retry policy has attempts left.
    case jobInterrupted
    /// A caller asked a running workflow to stop (``LogEvent/error`` says why): its running job
    /// is asked to stop, and `workflowCancelled` follows once it has (or after its grace).
    case workflowCancelRequested
    /// A worker took an attempt of a remote job: ``LogEvent/worker`` names it.
    case jobAssigned
    /// A remote job reported its counters without a step or progress update:
    /// ``LogEvent/stats`` holds their values so far.
    case statsUpdated

    /// Whether the event ends its workflow (completed, failed or cancelled). Watchers always
    /// receive these, whatever level they filter on.
    public var isTerminalWorkflowEvent: Bool {
        switch self {
        case .workflowCompleted, .workflowFailed, .workflowCancelled: true
        default: false
        }
    }

    /// The upper-case name used by the API, e.g. `STEP_LOGGED`.
    public var description: String {
        switch self {
        case .workflowStarted: "WORKFLOW_STARTED"
        case .workflowCompleted: "WORKFLOW_COMPLETED"
        case .workflowFailed: "WORKFLOW_FAILED"
        case .workflowCancelled: "WORKFLOW_CANCELLED"
        case .jobStarted: "JOB_STARTED"
        case .jobCompleted: "JOB_COMPLETED"
        case .jobFailed: "JOB_FAILED"
        case .jobCancelled: "JOB_CANCELLED"
        case .stepLogged: "STEP_LOGGED"
        case .progressUpdated: "PROGRESS_UPDATED"
        case .failureNotice: "FAILURE_NOTICE"
        case .gap: "GAP"
        case .workflowRetried: "WORKFLOW_RETRIED"
        case .jobRetryScheduled: "JOB_RETRY_SCHEDULED"
        case .jobInterrupted: "JOB_INTERRUPTED"
        case .workflowCancelRequested: "WORKFLOW_CANCEL_REQUESTED"
        case .jobAssigned: "JOB_ASSIGNED"
        case .statsUpdated: "STATS_UPDATED"
        }
    }
}
