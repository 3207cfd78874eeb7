import MessageRuntime

/// How a method is served: one request message, then one response or a stream of them; or a
/// stream of requests answered as they arrive.
///
/// Handlers are called on the connection's thread as soon as the request message is complete
/// (for a request stream: as soon as the request headers arrived).
/// They must not block: a handler that needs slow work starts it and completes later through
/// its ``UnaryResponder`` or ``StreamWaker`` from any thread.
package enum RPCHandler: Sendable {
    /// A unary method: answer through the responder, now or later.
    case unary(@Sendable (_ request: [UInt8], _ context: ServerCallContext, _ responder: UnaryResponder) -> Void)

    /// A server-streaming method: return the producer of its messages, or throw a status to end
    /// the call at once (sent as a Trailers-Only response).
    case serverStreaming(@Sendable (_ request: [UInt8], _ context: ServerCallContext, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer)

    /// A client-streaming or bidirectional method: return the handler that receives the request
    /// messages and produces the responses, or throw a status to end the call at once.
    case bidirectionalStreaming(@Sendable (_ context: ServerCallContext, _ waker: StreamWaker) throws(RPCStatus) -> any RequestStreamHandler)
}

extension RPCHandler {
    /// Whether this handler can serve a method of `kind`.
    func serves(_ kind: RPCKind) -> Bool {
        switch (self, kind) {
        case (.unary, .unary), (.serverStreaming, .serverStreaming),
             (.bidirectionalStreaming, .clientStreaming), (.bidirectionalStreaming, .bidirectionalStreaming):
            true
        default:
            false
        }
    }
}
