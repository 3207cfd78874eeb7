/// Completes one unary call, exactly once, from any thread.
///
/// The transport makes one per call; a second completion is ignored.
package struct UnaryResponder: Sendable {
    private let complete: @Sendable (Result<[UInt8], RPCStatus>) -> Void

    /// Creates a responder that hands the call's outcome to `complete`.
    package init(_ complete: @escaping @Sendable (Result<[UInt8], RPCStatus>) -> Void) {
        self.complete = complete
    }

    /// Answers with one serialized response message and status OK.
    package func succeed(_ message: [UInt8]) {
        complete(.success(message))
    }

    /// Answers with an error status and no message.
    package func fail(_ status: RPCStatus) {
        complete(.failure(status))
    }
}
