import WorkflowModel

extension JobAttempt.Outcome: StoreCoded {
    /// The outcome's number on disk; see ``StoreCoded`` (never change or reuse one).
    var storeCode: UInt64 {
        switch self {
        case .failed: 0
        case .timedOut: 1
        case .interrupted: 2
        }
    }
}
