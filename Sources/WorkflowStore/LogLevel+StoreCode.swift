import WorkflowModel

extension LogLevel: StoreCoded {
    /// The level's number on disk; see ``StoreCoded`` (never change or reuse one).
    var storeCode: UInt64 {
        switch self {
        case .debug: 0
        case .info: 1
        case .warn: 2
        case .error: 3
        }
    }
}
