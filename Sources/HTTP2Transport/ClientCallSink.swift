import RPCCore

/// Where a client call's outcome goes.
enum ClientCallSink: Sendable {
    /// A unary call: completed exactly once with its single response message or its status.
    case unary(@Sendable (Result<[UInt8], RPCStatus>) -> Void)
    /// A server-streaming call: each message, then the status, go to the consumer's buffer.
    case stream(ResponseStreamBuffer)

    /// Delivers the call's end: `status`, and for a unary call with status OK its `response`
    /// (a missing response is INTERNAL, as stock clients report it).
    func finish(_ status: RPCStatus, response: [UInt8]?) {
        switch self {
        case .unary(let complete):
            if status.code != .ok {
                complete(.failure(status))
            } else if let response {
                complete(.success(response))
            } else {
                complete(.failure(RPCStatus(code: .internalError, message: "unary call ended with OK but without a response message")))
            }
        case .stream(let buffer):
            buffer.finish(status)
        }
    }
}
