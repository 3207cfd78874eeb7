import WorkflowModel

extension WorkflowStatus: StoreCoded {
    /// The status's number on disk; see ``StoreCoded`` (never change or reuse one).
    var storeCode: UInt64 {
        switch self {
        case .running: 0
        case .completed: 1
        case .failed: 2
        case .cancelled: 3
        }
    }
}
