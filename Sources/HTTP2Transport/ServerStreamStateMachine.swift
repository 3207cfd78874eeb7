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
///
/// The data of each state lives in stored properties, empty outside the states that own them,
/// rather than in enum payloads: the machine sits in a class on the hot path of every call, and
/// taking a payload out of an enum and putting it back costs a retain and release of each of its
/// references (about a microsecond per unary call over all its events).
struct ServerStreamStateMachine {
    /// Where the stream is.
    enum State: Equatable {
        /// A request answered without being served (a non-gRPC request): its remaining frames
        /// are still read, so errors in them are detected, and dropped; the answer goes out at
        /// END_STREAM or once more than ``maxDiscardedBytes`` arrived.
        case discarding
        /// Collecting the one request message of a unary or server-streaming call.
        case receiving
        /// The request is complete; the handler is called once the current read is processed.
        case dispatchable
        /// The unary handler has the request; its answer is awaited.
        case awaitingAnswer
        /// Response headers are queued and the body is pulled by nghttp2; a request stream
        /// still receives.
        case responding
        /// The last frame (trailers, the end of a body, a Trailers-Only status, RST_STREAM) is queued.
        case finished
        /// nghttp2 closed the stream; nothing is held.
        case closed
    }

    /// A plain HTTP response to a request that is not gRPC (405, 415).
    struct HTTPAnswer {
        var headers: [HeaderField]
        var body: [UInt8]
    }

    /// What the connection handler does after an event.
    enum Action {
        case none
        /// Submit response HEADERS; the body is pulled through ``readBody(into:chunkSize:isDraining:produce:)``.
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

    /// What ``readBody(into:chunkSize:isDraining:produce:)`` gave nghttp2.
    enum BodyRead: Equatable {
        /// This many bytes; more follow.
        case bytes(Int)
        /// Nothing now. With `askAgain` the producer has more but gave nothing this time (or
        /// its waker ran while it produced): ask on the next loop turn, without a wake-up.
        case deferred(askAgain: Bool)
        /// The last bytes, then trailers with `status`, or with nil the end of a plain HTTP body.
        case end(bytes: Int, status: RPCStatus?)
    }

    /// How a response ends once its pending bytes are sent.
    private enum Ending {
        case trailers(RPCStatus)
        case endOfBody
    }

    /// The most body bytes of a non-gRPC request read before it is answered anyway.
    static let maxDiscardedBytes = 64 << 10

    /// The status of a call that the server's buffer budget cannot hold.
    static let budgetExhausted = RPCStatus(code: .resourceExhausted, message: "the server's buffer budget is exhausted; try again later")

    /// The deadline's status.
    static let deadlineExceeded = RPCStatus(code: .deadlineExceeded, message: "deadline exceeded")

    let id: Int32
    private(set) var state: State
    /// The client sent END_STREAM.
    private(set) var clientEnded: Bool
    /// Received DATA bytes whose connection flow-control window is not reopened yet.
    private(set) var heldRequestBytes = 0

    /// `discarding`: the answer, and how many body bytes were dropped.
    private var answer: HTTPAnswer?
    private var discardedBytes = 0
    /// `receiving`, and `responding` while a request stream receives: message reassembly.
    private var deframer: GRPCMessageDeframer
    /// `receiving`, `dispatchable`: the complete request message.
    private var request: [UInt8]?
    /// `responding`: bytes produced but not yet handed to nghttp2.
    private var pending = PendingBytes()
    /// `responding`: how the response ends after `pending`; nil while more may be produced.
    private var ending: Ending?
    /// `responding`: the source of a streaming response, until it finished or was cancelled.
    private var producer: (any ServerStreamProducer)?
    /// `responding`: the handler of a request stream (also `producer`), while it receives.
    private var requestHandler: (any RequestStreamHandler)?
    /// `responding`: nghttp2 waits for ``Action/resumeBody`` before asking for more.
    private var isDeferred = false

    // MARK: Starting

    private init(id: Int32, state: State, clientEnded: Bool, maxMessageSize: Int = 0) {
        self.id = id
        self.state = state
        self.clientEnded = clientEnded
        self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
    }

    /// A non-gRPC request: read to its end, then answered with `answer`.
    static func answering(_ answer: HTTPAnswer, id: Int32, clientEnded: Bool) -> (ServerStreamStateMachine, Action) {
        var machine = ServerStreamStateMachine(id: id, state: .discarding, clientEnded: clientEnded)
        machine.answer = answer
        let action = clientEnded ? machine.sendAnswer() : .none
        return (machine, action)
    }

    /// A gRPC request ended at once with `status` (an invalid head, an unknown method, a
    /// request stream whose handler refused to start).
    static func rejected(_ status: RPCStatus, id: Int32, clientEnded: Bool) -> (ServerStreamStateMachine, Action) {
        (ServerStreamStateMachine(id: id, state: .finished, clientEnded: clientEnded), .submitTrailersOnly(status))
    }

    /// A unary or server-streaming call whose request message is read first.
    static func receiving(id: Int32, maxMessageSize: Int) -> ServerStreamStateMachine {
        ServerStreamStateMachine(id: id, state: .receiving, clientEnded: false, maxMessageSize: maxMessageSize)
    }

    /// A client-streaming or bidirectional call whose handler started: request messages go to
    /// `handler` as they arrive, and it produces the response.
    static func streamingRequests(
        to handler: any RequestStreamHandler, id: Int32, maxMessageSize: Int
    ) -> (ServerStreamStateMachine, Action) {
        var machine = ServerStreamStateMachine(id: id, state: .responding, clientEnded: false, maxMessageSize: maxMessageSize)
        machine.producer = handler
        machine.requestHandler = handler
        return (machine, .submitResponse(GRPCResponseHeaders.head))
    }

    // MARK: Events from the client

    /// Whether DATA on this stream is kept (and so must fit the server's buffer budget).
    var keepsRequestBytes: Bool {
        state == .receiving || isStreamingRequests
    }

    /// A request stream's handler takes messages now.
    private var isStreamingRequests: Bool {
        state == .responding && requestHandler != nil && !clientEnded
    }

    /// A piece of the request body arrived. Bytes the stream keeps must first fit the server's
    /// buffer budget: `reserve` charges them, or answers false, and the call then ends with
    /// RESOURCE_EXHAUSTED (``bufferBudgetExhausted()``) and the bytes are dropped.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer, reserve: (Int) -> Bool) -> Action {
        if keepsRequestBytes, !reserve(bytes.count) {
            let action = bufferBudgetExhausted()
            heldRequestBytes += bytes.count
            return action
        }
        return receivedData(bytes)
    }

    /// A piece of the request body arrived (bytes that need no budget, or were charged).
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer) -> Action {
        heldRequestBytes += bytes.count
        switch state {
        case .discarding:
            discardedBytes += bytes.count
            return discardedBytes > Self.maxDiscardedBytes ? sendAnswer() : .none
        case .receiving:
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
            return .none
        case .responding:
            guard isStreamingRequests, let requestHandler else { return .none }
            deframer.append(bytes)
            do {
                while let message = try deframer.next() {
                    try requestHandler.receive(message)
                }
            } catch {
                return endResponse(error)
            }
            return .none
        case .dispatchable, .awaitingAnswer, .finished, .closed:
            return .none
        }
    }

    /// The client ended its side of the stream.
    mutating func receivedEndOfStream() -> Action {
        guard !clientEnded else { return .none }
        let wasStreamingRequests = isStreamingRequests
        clientEnded = true
        switch state {
        case .discarding:
            return sendAnswer()
        case .receiving:
            if deframer.hasPartialMessage {
                return finishTrailersOnly(RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
            }
            guard request != nil else {
                return finishTrailersOnly(RPCStatus(code: .internalError, message: "request stream ended without a request message"))
            }
            state = .dispatchable
            return .dispatch
        case .responding:
            guard wasStreamingRequests, let requestHandler else { return .none }
            if deframer.hasPartialMessage {
                return endResponse(RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
            }
            deframer = GRPCMessageDeframer(maxMessageSize: 0)
            requestHandler.requestsEnded()
            return .none
        case .dispatchable, .awaitingAnswer, .finished, .closed:
            return .none
        }
    }

    /// The server's buffer budget cannot hold the DATA that just arrived for this stream: the
    /// call ends with RESOURCE_EXHAUSTED, and the bytes are dropped.
    mutating func bufferBudgetExhausted() -> Action {
        if state == .receiving { return finishTrailersOnly(Self.budgetExhausted) }
        if isStreamingRequests { return endResponse(Self.budgetExhausted) }
        return .none
    }

    // MARK: Events from the handler

    /// Hands the complete request to the caller, who calls the handler with it; then
    /// ``startedProducing(_:)`` (server streaming) or ``unaryCompleted(_:)`` follows.
    mutating func takeRequest() -> [UInt8]? {
        guard state == .dispatchable, let request = request.take() else { return nil }
        state = .awaitingAnswer
        return request
    }

    /// A server-streaming handler returned its producer.
    mutating func startedProducing(_ producer: any ServerStreamProducer) -> Action {
        guard state == .awaitingAnswer else {
            producer.cancel()
            return .none
        }
        self.producer = producer
        state = .responding
        return .submitResponse(GRPCResponseHeaders.head)
    }

    /// The unary handler answered (a serialized message or a status), or a streaming handler
    /// refused to start (a status).
    mutating func unaryCompleted(_ result: Result<[UInt8], RPCStatus>) -> Action {
        guard state == .awaitingAnswer else { return .none }
        switch result {
        case .success(let message):
            var framed: [UInt8] = []
            framed.reserveCapacity(message.count + GRPCMessageFramer.prefixLength)
            GRPCMessageFramer.frame(message, into: &framed)
            pending = PendingBytes(framed)
            ending = .trailers(.ok)
            state = .responding
            return .submitResponse(GRPCResponseHeaders.head)
        case .failure(let status):
            return finishTrailersOnly(status)
        }
    }

    /// The producer's waker ran (outside any call into the producer; a wake-up during one is
    /// the `woken` that `readBody`'s `produce` returns).
    /// - Returns: ``Action/resumeBody`` when nghttp2 waits for it.
    mutating func wake() -> Action {
        guard state == .responding, isDeferred else { return .none }
        isDeferred = false
        return .resumeBody
    }

    // MARK: Events from the connection

    /// The call's deadline passed.
    ///
    /// A call still reading or computing ends with a Trailers-Only DEADLINE_EXCEEDED. A
    /// response being sent stops producing; its trailers follow what is already pending when
    /// flow control lets all of it out now (`sendWindow`), and otherwise the stream is reset
    /// with CANCEL at once, since a client that grants no window would hold it forever.
    /// - Parameter sendWindow: how many DATA bytes nghttp2 may send on the stream now.
    mutating func deadlineExpired(sendWindow: Int) -> Action {
        switch state {
        case .receiving, .dispatchable, .awaitingAnswer:
            return finishTrailersOnly(Self.deadlineExceeded)
        case .responding:
            cancelProducer()
            if ending == nil { ending = .trailers(Self.deadlineExceeded) }
            guard sendWindow > 0, sendWindow >= pending.count else {
                dropResponse()
                state = .finished
                return .reset(errorCode: HTTP2ErrorCodes.cancel, status: Self.deadlineExceeded)
            }
            return resumeIfDeferred()
        case .discarding, .finished, .closed:
            return .none
        }
    }

    /// The grace after the deadline (for trailers that flow control let out) ran out: a
    /// stream still not finished is reset.
    mutating func deadlineGraceExpired() -> Action {
        guard state == .responding else { return .none }
        dropResponse()
        state = .finished
        return .reset(errorCode: HTTP2ErrorCodes.cancel, status: Self.deadlineExceeded)
    }

    /// The server is shutting down: a deferred streaming response is asked again, so that it
    /// ends with UNAVAILABLE once caught up (see ``readBody(into:chunkSize:isDraining:produce:)``).
    mutating func drain() -> Action {
        guard state == .responding, producer != nil else { return .none }
        return resumeIfDeferred()
    }

    /// The stream's last frame went out while the client was still sending: stop it with
    /// RST_STREAM(NO_ERROR), after that frame as gRPC requires (libnghttp2 does not do it).
    /// Only a stream that answered (`responding`, `finished`) sends a last frame.
    mutating func sentEndOfStream() -> Action {
        guard !clientEnded, state == .responding || state == .finished else { return .none }
        return .reset(errorCode: HTTP2ErrorCodes.noError, status: nil)
    }

    /// A submit call for this stream failed: reset it rather than leave it hanging.
    mutating func submitFailed() -> Action {
        guard state != .closed else { return .none }
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
        guard state == .responding else {
            return .end(bytes: 0, status: RPCStatus(code: .cancelled, message: "the call was cancelled"))
        }
        let askAgain = refill(chunkSize: chunkSize, produce: produce)
        let count = pending.take(into: buffer)
        if pending.isEmpty, let ending {
            state = .finished
            self.ending = nil
            switch ending {
            case .endOfBody: return .end(bytes: count, status: nil)
            case .trailers(let status): return .end(bytes: count, status: status)
            }
        }
        if count == 0, isDraining, !askAgain, producer != nil {
            // Caught up while shutting down: end the call so the client goes elsewhere (and a
            // watch resumes from the last sequence it received).
            cancelProducer()
            state = .finished
            return .end(bytes: 0, status: RPCStatus(code: .unavailable, message: "the server is shutting down"))
        }
        if count == 0 {
            isDeferred = true
            return .deferred(askAgain: askAgain)
        }
        return .bytes(count)
    }

    // MARK: Accounting

    /// The request bytes the stream must still hold: a partial message, and a complete one
    /// not yet handed to the handler. Zero once it stopped receiving.
    var requestBytesToHold: Int {
        switch state {
        case .receiving, .dispatchable:
            deframer.partialByteCount + (request.map { $0.count + GRPCMessageFramer.prefixLength } ?? 0)
        case .responding:
            isStreamingRequests ? deframer.partialByteCount : 0
        default:
            0
        }
    }

    /// The memory the stream's buffers take: request bytes held and response bytes pending.
    var bufferedBytes: Int {
        max(deframer.partialByteCount, deframer.partialMessageCapacity) + (request?.count ?? 0) + pending.count
    }

    /// How many held request bytes can go back to the connection window now; they count as
    /// released from then on.
    mutating func releasableRequestBytes() -> Int {
        let release = heldRequestBytes - requestBytesToHold
        guard release > 0 else { return 0 }
        heldRequestBytes -= release
        return release
    }

    /// What the connection settles after an event: the request bytes that go back to the
    /// connection window (``releasableRequestBytes()``) and the memory the stream's buffers
    /// take now (``bufferedBytes``). One mutating call, so the machine is not copied out of
    /// its entry to answer.
    mutating func accounts() -> (releasable: Int, buffered: Int) {
        (releasableRequestBytes(), bufferedBytes)
    }

    // MARK: Helpers

    /// Answers a non-gRPC request read so far.
    private mutating func sendAnswer() -> Action {
        guard state == .discarding, let answer = answer.take() else { return .none }
        pending = PendingBytes(answer.body)
        ending = .endOfBody
        state = .responding
        return .submitResponse(answer.headers)
    }

    /// Ends a call that sent nothing yet with one HEADERS frame carrying `status`.
    private mutating func finishTrailersOnly(_ status: RPCStatus) -> Action {
        teardown()
        state = .finished
        return .submitTrailersOnly(status)
    }

    /// Ends a streaming response with `status` after what was produced.
    private mutating func endResponse(_ status: RPCStatus) -> Action {
        guard state == .responding else { return .none }
        cancelProducer()
        if ending == nil { ending = .trailers(status) }
        return resumeIfDeferred()
    }

    private mutating func resumeIfDeferred() -> Action {
        guard isDeferred else { return .none }
        isDeferred = false
        return .resumeBody
    }

    /// Stops the producer and the request stream; what was produced is still sent.
    private mutating func cancelProducer() {
        producer?.cancel()
        producer = nil
        requestHandler = nil
        deframer = GRPCMessageDeframer(maxMessageSize: 0)
    }

    private mutating func dropResponse() {
        pending = PendingBytes()
        ending = nil
    }

    /// Cancels what the stream runs and drops what it buffers.
    private mutating func teardown() {
        cancelProducer()
        dropResponse()
        request = nil
        answer = nil
        isDeferred = false
    }

    /// Asks the producer for more bytes when nothing is pending.
    /// - Returns: true when it must be asked again soon without waiting for its waker: it said
    ///   `.more` but produced nothing, or `.pending` after its waker already ran.
    private mutating func refill(
        chunkSize: Int,
        produce: (any ServerStreamProducer, inout StreamOutput) -> (production: StreamProduction, woken: Bool)
    ) -> Bool {
        guard pending.isEmpty, ending == nil, let producer else { return false }
        var output = StreamOutput(budget: chunkSize)
        let (production, woken) = produce(producer, &output)
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
