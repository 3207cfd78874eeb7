import NIOCore
import RPCCore

/// The client's state for one HTTP/2 stream, owned by its connection handler.
///
/// Phases, in order: `awaitingHead` (request submitted, no response headers yet) →
/// `receivingMessages` (`:status 200` with a gRPC content-type arrived; messages flow) →
/// `finished` (the status was delivered to the sink). Either earlier phase can jump to
/// `finished` (Trailers-Only response, error, cancellation, deadline, connection loss). The
/// stream is dropped when nghttp2 reports it closed.
final class ClientStream {
    enum Phase {
        case awaitingHead
        case receivingMessages
        case finished
    }

    let id: Int32
    let call: ClientCall
    var phase: Phase = .awaitingHead
    /// The response's `:status`, once the response headers arrived.
    var httpStatus: Int?
    var deframer: GRPCMessageDeframer
    /// The single response message of a unary call.
    var response: [UInt8]?
    /// The client sent its END_STREAM: the whole request is out.
    var requestEnded = false
    /// The server's END_STREAM arrived.
    var responseEnded = false
    /// Fires at the call's deadline.
    var deadlineTimer: Scheduled<Void>?

    /// Request bytes not yet handed to nghttp2.
    private var request: PendingBytes

    init(id: Int32, call: ClientCall, maxMessageSize: Int) {
        self.id = id
        self.call = call
        self.request = PendingBytes(call.framedRequest)
        self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
    }

    /// Whether the request stream of a client-streaming call has no more messages.
    private var requestStreamEnded = false

    /// Copies as much of the request as fits into `buffer`, pulling the next message of a
    /// client-streaming call when the pending bytes run out.
    /// - Returns: how many bytes were copied and whether they were the last ones.
    func copyRequest(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, isLast: Bool) {
        var count = request.take(into: buffer)
        while count < buffer.count, request.isEmpty, !requestStreamEnded, let stream = call.requestStream {
            guard let message = stream.nextMessage() else {
                requestStreamEnded = true
                break
            }
            var framed: [UInt8] = []
            framed.reserveCapacity(GRPCMessageFramer.prefixLength + message.count)
            GRPCMessageFramer.frame(message, into: &framed)
            request = PendingBytes(framed)
            count += request.take(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
        }
        return (count, request.isEmpty && (call.requestStream == nil || requestStreamEnded))
    }
}
