import RPCCore
import WorkflowFiles

extension RPCStatus {
    /// The gRPC status for a failure of the file stores.
    init(_ error: FileStoreError) {
        let message = error.field.map { "\($0): \(error.message)" } ?? error.message
        switch error.code {
        case .invalidArgument: self.init(code: .invalidArgument, message: message)
        case .tooLarge: self.init(code: .resourceExhausted, message: message)
        case .contentMismatch: self.init(code: .dataLoss, message: message)
        case .notFound: self.init(code: .notFound, message: message)
        case .io: self.init(code: .internalError, message: message)
        }
    }
}
