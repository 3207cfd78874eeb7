import HeaderFields
import RPCCore

/// One HTTP/2 stream on the server, as a value: the connection handler feeds it what happened
/// (headers, DATA, END_STREAM, a handler's answer, a deadline, nghttp2 asking for body) and
/// performs the ``Action`` it returns. It never touches nghttp2 or the channel, so every
/// transition is tested without sockets.
///
/// ```
/// discarding ──END_STREAM / body limit──▶ responding ──▶ finished ──▶ closed
/// receiving ──END_STREAM──▶ dispatchable ──dispatch──▶ awaitingAnswer ──answer──▶ responding
///                                       └──(server streaming)──────────────────▶ responding
/// (request streaming) ─────────────────────────────────────────────────────────▶ responding
/// ```
/// Any state before `finished` can end at once with a Trailers-Only status or a reset. The one
/// teardown is ``close()``: whatever way the stream ends, nghttp2 reports it closed and that
/// cancels the producer and drops every buffer.
struct ServerStreamStateMachine {
    /// Where the stream is.
    enum State {
        /// A request answered without being served (a non-gRPC request): its remaining frames
        /// are still read, so errors in them are detected, and dropped; the answer goes out at
        /// END_STREAM or once more than ``maxDiscardedBytes`` arrived.
        case discarding(HTTPAnswer, discardedBytes: Int)
        /// Collecting the one request message of a unary or server-streaming call.
        case receiving(GRPCMessageDeframer, request: [UInt8]?)
        /// The request is complete; the handler is called once the current read is processed.
        case dispatchable([UInt8])
        /// The unary handler has the request; its answer is awaited.
        case awaitingAnswer
        /// Response headers are queued and the body is pulled by nghttp2.
        case responding(ResponseBody)
        /// The last frame (trailers, the end of a body, a Trailers-Only status, RST_STREAM) is queued.
        case finished
        /// nghttp2 closed the stream; nothing is held.
        case closed
        /// Never observed: set while a payload is mutated in place, so its buffers stay uniquely
        /// referenced and are not copied.
        case modifying
    }

    /// A plain HTTP response to a request that is not gRPC (405, 415).
    struct HTTPAnswer {
        var headers: [HeaderField]
        var body: [UInt8]
    }

    /// What the connection handler does after an event.
    enum Action {
        case none
        /// Submit response HEADERS; the body is pulled through ``readBody(into:chunkSize:isDraining:)``.
        case submitResponse([HeaderField])
        /// Submit one HEADERS frame with END_STREAM carrying `status` (gRPC Trailers-Only).
        case submitTrailersOnly(RPCStatus)
        /// Wake nghttp2 for the stream's deferred body.
        case resumeBody
        /// Queue RST_STREAM with `errorCode`; a call that ends this way is counted as `status`.
        case reset(errorCode: UInt32, status: RPCStatus?)
        /// Call the stream's handler once the current read is processed (``takeRequest()``).
        case dispatch
    }

    /// What ``readBody(into:chunkSize:isDraining:)`` gave nghttp2.
    enum BodyRead: Equatable {
        /// This many bytes; more follow.
        case bytes(Int)
        /// Nothing now. With `askAgain` the producer has more but gave nothing this time (or
        /// its waker ran while it produced): ask on the next loop turn, without a wake-up.
        case deferred(askAgain: Bool)
        /// The last bytes, then trailers with `status`, or with nil the end of a plain HTTP body.
        case end(bytes: Int, status: RPCStatus?)
    }

    /// The response side of a stream in ``State/responding(_:)``.
    struct ResponseBody {
        /// How the response ends once `pending` is drained.
        enum Ending {
            case trailers(RPCStatus)
            case endOfBody
        }

        /// Bytes produced but not yet handed to nghttp2.
        var pending = PendingBytes()
        /// How the response ends after `pending`; nil while more may be produced.
        var ending: Ending?
        /// The source of a streaming response, until it finished or was cancelled.
        var producer: (any ServerStreamProducer)?
        /// The handler of a request stream (also `producer`) and the messages on their way to
        /// it, while the client may still send.
        var requests: (handler: any RequestStreamHandler, deframer: GRPCMessageDeframer)?
        /// nghttp2 waits for ``Action/resumeBody`` before asking for more.
        var isDeferred = false
    }

    /// The most body bytes of a non-gRPC request read before it is answered anyway.
    static let maxDiscardedBytes = 64 << 10

    /// The deadline's status.
    static let deadlineExceeded = RPCStatus(code: .deadlineExceeded, message: "deadline exceeded")

    let id: Int32
    private(set) var state: State
    /// The client sent END_STREAM.
    private(set) var clientEnded = false
    /// Received DATA bytes whose connection flow-control window is not reopened yet.
    private(set) var heldRequestBytes = 0

    // MARK: Starting

    private init(id: Int32, state: State, clientEnded: Bool) {
        self.id = id
        self.state = state
        self.clientEnded = clientEnded
    }

    /// A non-gRPC request: read to its end, then answered with `answer`.
    static func answering(
        _ answer: HTTPAnswer, id: Int32, clientEnded: Bool
    ) -> (ServerStreamStateMachine, Action) {
        var machine = ServerStreamStateMachine(id: id, state: .discarding(answer, discardedBytes: 0), clientEnded: clientEnded)
        let action = clientEnded ? machine.answer() : .none
        return (machine, action)
    }

    /// A gRPC request ended at once with `status` (an invalid head, an unknown method, a
    /// request stream whose handler refused to start).
    static func rejected(_ status: RPCStatus, id: Int32, clientEnded: Bool) -> (ServerStreamStateMachine, Action) {
        (ServerStreamStateMachine(id: id, state: .finished, clientEnded: clientEnded), .submitTrailersOnly(status))
    }

    /// A unary or server-streaming call whose request message is read first.
    static func receiving(id: Int32, maxMessageSize: Int) -> ServerStreamStateMachine {
        ServerStreamStateMachine(id: id, state: .receiving(GRPCMessageDeframer(maxMessageSize: maxMessageSize), request: nil), clientEnded: false)
    }

    /// A client-streaming or bidirectional call whose handler started: request messages go to
    /// `handler` as they arrive, and it produces the response.
    static func streamingRequests(
        to handler: any RequestStreamHandler, id: Int32, maxMessageSize: Int
    ) -> (ServerStreamStateMachine, Action) {
        var body = ResponseBody()
        body.producer = handler
        body.requests = (handler, GRPCMessageDeframer(maxMessageSize: maxMessageSize))
        return (ServerStreamStateMachine(id: id, state: .responding(body), clientEnded: false), .submitResponse(GRPCResponseHeaders.head))
    }

    // MARK: Events from the client

    /// Whether DATA on this stream is kept (and so must fit the server's buffer budget).
    var keepsRequestBytes: Bool {
        switch state {
        case .receiving: true
        case .responding(let body): body.requests != nil && !clientEnded
        default: false
        }
    }

    /// A piece of the request body arrived.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer) -> Action {
        heldRequestBytes += bytes.count
        switch state {
        case .discarding(let answer, let discarded):
            let total = discarded + bytes.count
            state = .discarding(answer, discardedBytes: total)
            return total > Self.maxDiscardedBytes ? self.answer() : .none

        case .receiving(var deframer, var request):
            state = .modifying
            deframer.append(bytes)
            do {
                while let message = try deframer.next() {
                    guard request == nil else {
                        return finishTrailersOnly(RPCStatus(code: .internalError, message: "more than one request message for a method that takes one"))
                    }
                    request = message
                }
            } catch {
                return finishTrailersOnly(error)
            }
            state = .receiving(deframer, request: request)
            return .none

        case .responding(var body):
            guard var requests = body.requests, !clientEnded else { return .none }
            state = .modifying
            body.requests = nil
            requests.deframer.append(bytes)
            do {
                while let message = try requests.deframer.next() {
                    try requests.handler.receive(message)
                }
            } catch {
                state = .responding(body)
                return endResponse(error)
            }
            body.requests = requests
            state = .responding(body)
            return .none

        case .dispatchable, .awaitingAnswer, .finished, .closed, .modifying:
            return .none
        }
    }

    /// The client ended its side of the stream.
    mutating func receivedEndOfStream() -> Action {
        guard !clientEnded else { return .none }
        clientEnded = true
        switch state {
        case .discarding:
            return answer()
        case .receiving(let deframer, let request):
            if deframer.hasPartialMessage {
                return finishTrailersOnly(RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
            }
            guard let request else {
                return finishTrailersOnly(RPCStatus(code: .internalError, message: "request stream ended without a request message"))
            }
            state = .dispatchable(request)
            return .dispatch
        case .responding(var body):
            guard let requests = body.requests else { return .none }
            body.requests = nil
            state = .responding(body)
            if requests.deframer.hasPartialMessage {
                return endResponse(RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
            }
            requests.handler.requestsEnded()
            return .none
        case .dispatchable, .awaitingAnswer, .finished, .closed, .modifying:
            return .none
        }
    }

    /// The server's buffer budget cannot hold the DATA that just arrived for this stream: the
    /// call ends with RESOURCE_EXHAUSTED, and the bytes are dropped.
    mutating func bufferBudgetExhausted() -> Action {
        let status = RPCStatus(code: .resourceExhausted, message: "the server's buffer budget is exhausted; try again later")
        switch state {
        case .receiving:
            return finishTrailersOnly(status)
        case .responding(var body) where body.requests != nil:
            body.requests = nil
            state = .responding(body)
            return endResponse(status)
        default:
            return .none
        }
    }

    // MARK: Events from the handler

    /// Hands the complete request to the caller, who calls the handler with it; then
    /// ``startedProducing(_:)`` (server streaming) or ``unaryCompleted(_:)`` follows.
    mutating func takeRequest() -> [UInt8]? {
        guard case .dispatchable(let request) = state else { return nil }
        state = .awaitingAnswer
        return request
    }

    /// A server-streaming handler returned its producer.
    mutating func startedProducing(_ producer: any ServerStreamProducer) -> Action {
        guard case .awaitingAnswer = state else {
            producer.cancel()
            return .none
        }
        var body = ResponseBody()
        body.producer = producer
        state = .responding(body)
        return .submitResponse(GRPCResponseHeaders.head)
    }

    /// The unary handler answered (a serialized message or a status), or a streaming handler
    /// refused to start (a status).
    mutating func unaryCompleted(_ result: Result<[UInt8], RPCStatus>) -> Action {
        guard case .awaitingAnswer = state else { return .none }
        switch result {
        case .success(let message):
            var framed: [UInt8] = []
            framed.reserveCapacity(message.count + GRPCMessageFramer.prefixLength)
            GRPCMessageFramer.frame(message, into: &framed)
            var body = ResponseBody()
            body.pending = PendingBytes(framed)
            body.ending = .trailers(.ok)
            state = .responding(body)
            return .submitResponse(GRPCResponseHeaders.head)
        case .failure(let status):
            return finishTrailersOnly(status)
        }
    }

    /// The producer's waker ran (outside any call into the producer; a wake-up during one is
    /// the `woken` that `readBody`'s `produce` returns).
    /// - Returns: ``Action/resumeBody`` when nghttp2 waits for it.
    mutating func wake() -> Action {
        guard case .responding(var body) = state, body.isDeferred else { return .none }
        body.isDeferred = false
        state = .responding(body)
        return .resumeBody
    }

    // MARK: Events from the connection

    /// The call's deadline passed.
    ///
    /// A call still reading or computing ends with a Trailers-Only DEADLINE_EXCEEDED. A
    /// response being sent stops producing; its trailers follow what is already pending when
    /// flow control lets them out now (`sendWindow` > 0), and otherwise the stream is reset
    /// with CANCEL at once, since a client that grants no window would hold it forever.
    /// - Parameter sendWindow: how many DATA bytes nghttp2 may send on the stream now.
    mutating func deadlineExpired(sendWindow: Int) -> Action {
        switch state {
        case .receiving, .dispatchable, .awaitingAnswer:
            return finishTrailersOnly(Self.deadlineExceeded)
        case .responding(var body):
            state = .modifying
            cancelProducer(of: &body)
            if body.ending == nil { body.ending = .trailers(Self.deadlineExceeded) }
            guard sendWindow > 0, sendWindow >= body.pending.count else {
                state = .finished
                return .reset(errorCode: HTTP2ErrorCodes.cancel, status: Self.deadlineExceeded)
            }
            let wasDeferred = body.isDeferred
            body.isDeferred = false
            state = .responding(body)
            return wasDeferred ? .resumeBody : .none
        case .discarding, .finished, .closed, .modifying:
            return .none
        }
    }

    /// The grace after the deadline (for trailers that flow control let out) ran out: a
    /// stream still not finished is reset.
    mutating func deadlineGraceExpired() -> Action {
        guard case .responding = state else { return .none }
        state = .finished
        return .reset(errorCode: HTTP2ErrorCodes.cancel, status: Self.deadlineExceeded)
    }

    /// The server is shutting down: a deferred streaming response is asked again, so that it
    /// ends with UNAVAILABLE once caught up (see ``readBody(into:chunkSize:isDraining:)``).
    mutating func drain() -> Action {
        guard case .responding(var body) = state, body.producer != nil, body.isDeferred else { return .none }
        body.isDeferred = false
        state = .responding(body)
        return .resumeBody
    }

    /// The stream's last frame went out while the client was still sending: stop it with
    /// RST_STREAM(NO_ERROR), after that frame as gRPC requires (libnghttp2 does not do it).
    func sentEndOfStream() -> Action {
        clientEnded ? .none : .reset(errorCode: HTTP2ErrorCodes.noError, status: nil)
    }

    /// A submit call for this stream failed: reset it rather than leave it hanging.
    mutating func submitFailed() -> Action {
        if case .closed = state { return .none }
        teardown()
        state = .finished
        return .reset(errorCode: HTTP2ErrorCodes.internalError, status: nil)
    }

    /// nghttp2 closed the stream (normally, by RST_STREAM, or because the connection ended):
    /// the producer is cancelled and every buffer dropped.
    mutating func close() {
        teardown()
        state = .closed
    }

    // MARK: Body

    /// nghttp2 can send up to `buffer.count` bytes of the body now: pending bytes first, then
    /// what the producer makes of about `chunkSize` bytes.
    /// - Parameters:
    ///   - isDraining: the server is shutting down; a streaming response that is caught up
    ///     ends with UNAVAILABLE.
    ///   - produce: calls the producer (the caller notes whether its waker ran meanwhile:
    ///     `woken`, so a `.pending` answer does not wait for a wake-up that already came).
    mutating func readBody(
        into buffer: UnsafeMutableRawBufferPointer,
        chunkSize: Int,
        isDraining: Bool,
        produce: (any ServerStreamProducer, inout StreamOutput) -> (production: StreamProduction, woken: Bool)
    ) -> BodyRead {
        guard case .responding(var body) = state else {
            return .end(bytes: 0, status: RPCStatus(code: .cancelled, message: "the call was cancelled"))
        }
        state = .modifying
        let askAgain = refill(&body, chunkSize: chunkSize, produce: produce)
        let count = body.pending.take(into: buffer)
        if body.pending.isEmpty, let ending = body.ending {
            state = .finished
            switch ending {
            case .endOfBody: return .end(bytes: count, status: nil)
            case .trailers(let status): return .end(bytes: count, status: status)
            }
        }
        if count == 0, isDraining, !askAgain, body.producer != nil {
            // Caught up while shutting down: end the call so the client goes elsewhere (and a
            // watch resumes from the last sequence it received).
            cancelProducer(of: &body)
            state = .finished
            return .end(bytes: 0, status: RPCStatus(code: .unavailable, message: "the server is shutting down"))
        }
        if count == 0 {
            body.isDeferred = true
            state = .responding(body)
            return .deferred(askAgain: askAgain)
        }
        state = .responding(body)
        return .bytes(count)
    }

    // MARK: Accounting

    /// The request bytes the stream must still hold: a partial message, and a complete one
    /// not yet handed to the handler. Zero once it stopped receiving.
    var requestBytesToHold: Int {
        switch state {
        case .receiving(let deframer, let request):
            deframer.partialByteCount + (request.map { $0.count + GRPCMessageFramer.prefixLength } ?? 0)
        case .responding(let body):
            body.requests?.deframer.partialByteCount ?? 0
        default:
            0
        }
    }

    /// The memory the stream's buffers take: request bytes held and response bytes pending.
    var bufferedBytes: Int {
        switch state {
        case .receiving(let deframer, let request):
            max(deframer.partialByteCount, deframer.partialMessageCapacity) + (request?.count ?? 0)
        case .dispatchable(let request):
            request.count
        case .responding(let body):
            body.pending.count + (body.requests.map { max($0.deframer.partialByteCount, $0.deframer.partialMessageCapacity) } ?? 0)
        default:
            0
        }
    }

    /// How many held request bytes can go back to the connection window now; they count as
    /// released from then on.
    mutating func releasableRequestBytes() -> Int {
        let release = heldRequestBytes - requestBytesToHold
        guard release > 0 else { return 0 }
        heldRequestBytes -= release
        return release
    }

    // MARK: Helpers

    /// Answers a non-gRPC request read so far.
    private mutating func answer() -> Action {
        guard case .discarding(let answer, _) = state else { return .none }
        var body = ResponseBody()
        body.pending = PendingBytes(answer.body)
        body.ending = .endOfBody
        state = .responding(body)
        return .submitResponse(answer.headers)
    }

    /// Ends a call that sent nothing yet with one HEADERS frame carrying `status`.
    private mutating func finishTrailersOnly(_ status: RPCStatus) -> Action {
        state = .finished
        return .submitTrailersOnly(status)
    }

    /// Ends a streaming response with `status` after what was produced.
    private mutating func endResponse(_ status: RPCStatus) -> Action {
        guard case .responding(var body) = state else { return .none }
        state = .modifying
        cancelProducer(of: &body)
        if body.ending == nil { body.ending = .trailers(status) }
        let wasDeferred = body.isDeferred
        body.isDeferred = false
        state = .responding(body)
        return wasDeferred ? .resumeBody : .none
    }

    private func cancelProducer(of body: inout ResponseBody) {
        body.producer?.cancel()
        body.producer = nil
        body.requests = nil
    }

    /// Cancels what the stream runs and drops what it buffers.
    private mutating func teardown() {
        if case .responding(var body) = state {
            state = .modifying
            cancelProducer(of: &body)
        }
        state = .finished
    }

    /// Asks the producer for more bytes when nothing is pending.
    /// - Returns: true when it must be asked again soon without waiting for its waker: it said
    ///   `.more` but produced nothing, or `.pending` after its waker already ran.
    private func refill(
        _ body: inout ResponseBody,
        chunkSize: Int,
        produce: (any ServerStreamProducer, inout StreamOutput) -> (production: StreamProduction, woken: Bool)
    ) -> Bool {
        guard body.pending.isEmpty, body.ending == nil, let producer = body.producer else { return false }
        var output = StreamOutput(budget: chunkSize)
        let (production, woken) = produce(producer, &output)
        body.pending = PendingBytes(output.bytes)
        switch production {
        case .more:
            return output.bytes.isEmpty
        case .pending:
            return woken && output.bytes.isEmpty
        case .finished(let status):
            body.ending = .trailers(status)
            body.producer = nil
            body.requests = nil
            return false
        }
    }
}
