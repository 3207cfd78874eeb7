import WorkflowModel

extension LogEventKind: StoreCoded {
    /// The event kind's number on disk; see ``StoreCoded`` (never change or reuse one).
    var storeCode: UInt64 {
        switch self {
        case .workflowStarted: 0
        case .workflowCompleted: 1
        case .workflowFailed: 2
        case .workflowCancelled: 3
        case .jobStarted: 4
        case .jobCompleted: 5
        case .jobFailed: 6
        case .jobCancelled: 7
        case .stepLogged: 8
        case .progressUpdated: 9
        case .failureNotice: 10
        // Never stored (a watch stream makes it), but numbered so that every kind has a code.
        case .gap: 11
        case .workflowRetried: 12
        case .jobRetryScheduled: 13
        case .jobInterrupted: 14
        case .workflowCancelRequested: 15
        case .jobAssigned: 16
        case .statsUpdated: 17
        }
    }
}
