/// Completes one unary call, exactly once, from any thread.
///
/// The transport makes one per call; a second completion is ignored.
public struct UnaryResponder: Sendable {
    private let complete: @Sendable (Result<[UInt8], RPCStatus>) -> Void

    /// Creates a responder that hands the call's outcome to `complete`.
    public init(_ complete: @escaping @Sendable (Result<[UInt8], RPCStatus>) -> Void) {
        self.complete = complete
    }

    /// Answers with one serialized response message and status OK.
    public func succeed(_ message: [UInt8]) {
        complete(.success(message))
    }

    /// Answers with an error status and no message.
    public func fail(_ status: RPCStatus) {
        complete(.failure(status))
    }
}
