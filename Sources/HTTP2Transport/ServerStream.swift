import NIOCore
import RPCCore

/// The server's state for one HTTP/2 stream, owned by its connection handler.
///
/// Phases, in order: `receiving` (headers arrived, collecting the request message) →
/// `dispatched` (handler called, awaiting its answer) → `responding` (body being pulled by
/// nghttp2) → `finished` (final frame queued). Any phase can jump to `finished` on an error,
/// and the stream is dropped when nghttp2 reports it closed.
final class ServerStream {
    enum Phase {
        case receiving
        case dispatched
        case responding
        case finished
    }

    /// How the response ends once `pending` is drained.
    enum Ending {
        /// gRPC trailers with this status.
        case trailers(RPCStatus)
        /// A plain HTTP body that ends the stream (non-gRPC requests).
        case endOfBody
    }

    let id: Int32
    let head: GRPCRequestHead?
    let handler: RPCHandler?
    var phase: Phase = .receiving
    var deframer: GRPCMessageDeframer
    var request: [UInt8]?
    /// The client sent END_STREAM.
    var clientEnded = false
    /// nghttp2 is waiting for `resumeData` before asking for more body.
    var isDeferred = false
    /// The producer's waker ran while the stream was not deferred: inside `produce` on the
    /// connection's thread, so the `.pending` that follows must not wait for another wake-up.
    var wokenWhileProducing = false

    /// When the client stops waiting (from `grpc-timeout`), or nil.
    var deadline: ContinuousClock.Instant?
    /// The timer that ends the call at its deadline; cancelled when the stream closes.
    var deadlineTimer: Scheduled<Void>?
    /// Received DATA bytes whose connection flow-control window is not reopened yet: the
    /// request bytes this stream still holds (see `HTTP2Settings.holdsConnectionWindow`).
    var heldBytes = 0

    /// Response bytes not yet handed to nghttp2.
    var pending = PendingBytes()
    /// How the response ends once `pending` is drained; nil while more body may come.
    var ending: Ending?
    /// The source of a server-streaming response, until it finished or was cancelled.
    var producer: (any ServerStreamProducer)?
    /// The handler of a client-streaming or bidirectional call (also its `producer`): it gets
    /// each request message while the stream is `responding`.
    var requestHandler: (any RequestStreamHandler)?

    /// Whether request messages go to `requestHandler` now.
    var acceptsRequestMessages: Bool {
        requestHandler != nil && phase == .responding && !clientEnded
    }

    init(id: Int32, head: GRPCRequestHead?, handler: RPCHandler?, maxMessageSize: Int) {
        self.id = id
        self.head = head
        self.handler = handler
        self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
    }

    /// The request bytes this stream must still hold: a partial message, and a complete one not
    /// yet handed to the handler. Zero once the stream stopped receiving.
    var bytesToHold: Int {
        if acceptsRequestMessages { return deframer.partialByteCount }
        guard phase == .receiving else { return 0 }
        return deframer.partialByteCount + (request.map { $0.count + GRPCMessageFramer.prefixLength } ?? 0)
    }

    /// Stops the producer (and request handler) of a streaming response: the stream ends with
    /// `status` after the bytes already produced.
    /// - Returns: whether nghttp2 must be woken (the stream was deferred).
    func endResponse(with status: RPCStatus) -> Bool {
        producer?.cancel()
        producer = nil
        requestHandler = nil
        if ending == nil { ending = .trailers(status) }
        defer { isDeferred = false }
        return isDeferred
    }

    /// Asks the producer for more bytes when nothing is pending.
    /// - Returns: true when the producer must be asked again soon without waiting for its
    ///   waker: it said `.more` but produced nothing, or it said `.pending` after its waker
    ///   already ran during this `produce`.
    func refill(budget: Int) -> Bool {
        guard pending.isEmpty, ending == nil, let producer else { return false }
        var output = StreamOutput(budget: budget)
        // A wake-up from before this call is answered by the call itself.
        wokenWhileProducing = false
        let production = producer.produce(into: &output)
        let woken = wokenWhileProducing
        wokenWhileProducing = false
        pending = PendingBytes(output.bytes)
        switch production {
        case .more:
            return output.bytes.isEmpty
        case .pending:
            return woken && output.bytes.isEmpty
        case .finished(let status):
            ending = .trailers(status)
            self.producer = nil
            requestHandler = nil
            return false
        }
    }
}
