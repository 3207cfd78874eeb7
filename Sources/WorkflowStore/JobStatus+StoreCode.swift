import WorkflowModel

extension JobStatus: StoreCoded {
    /// The status's number on disk; see ``StoreCoded`` (never change or reuse one).
    var storeCode: UInt64 {
        switch self {
        case .pending: 0
        case .running: 1
        case .completed: 2
        case .failed: 3
        case .cancelled: 4
        }
    }
}
