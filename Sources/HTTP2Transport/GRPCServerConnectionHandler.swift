import HeaderFields
import Logging
import NGHTTP2
import NIOCore
import RPCCore

/// Serves gRPC on one HTTP/2 connection: bytes in from the channel, through libnghttp2, to the
/// router's handlers, and their answers back out.
///
/// Everything runs on the channel's event loop. Handlers complete from any thread; completions
/// hop back to the loop. Output is drained from nghttp2 only while the channel is writable and
/// stream bodies are pulled only as flow control allows, so a slow reader costs the server at
/// most a flow-control window and a socket buffer, never an unbounded queue.
final class GRPCServerConnectionHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let router: RPCRouter
    private let configuration: GRPCServerConfiguration
    private let statistics: CallStatistics
    private let logger: Logger

    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    private var streams: [Int32: ServerStream] = [:]
    /// Streams whose request completed during the current `receive`, dispatched right after it.
    private var readyStreams: [Int32] = []
    /// True inside `channelRead`..`channelReadComplete`, which flushes once at the end.
    private var isReading = false

    /// Where the connection is in a graceful shutdown.
    ///
    /// `serving` → `notified` (shutdown notice and PING sent) → `goingAway` (final GOAWAY sent).
    /// `draining` is set by `ServerConnectionEvent.drain` in either of the last two.
    private enum ShutdownPhase {
        case serving
        case notified
        case goingAway
    }

    private var shutdownPhase = ShutdownPhase.serving
    /// Streaming calls end with UNAVAILABLE once they have sent what they have.
    private var isDraining = false
    /// The output side is closed (the session is done); the channel closes soon.
    private var isClosingOutput = false
    /// Idle and keepalive bookkeeping.
    private var liveness: ConnectionLiveness
    /// The timer that consults `liveness`.
    private var livenessTimer: RepeatedTask?

    init(router: RPCRouter, configuration: GRPCServerConfiguration, statistics: CallStatistics, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.statistics = statistics
        self.logger = logger
        self.liveness = ConnectionLiveness(
            idleTimeout: configuration.idleTimeout,
            keepaliveInterval: configuration.keepaliveInterval,
            keepaliveTimeout: configuration.keepaliveTimeout,
            now: .now
        )
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            var settings = configuration.http2
            // Request bytes reopen the connection window only once they left this handler, so
            // all streams together buffer at most one connection window (see `releaseWindow`).
            settings.holdsConnectionWindow = true
            session = try HTTP2Session(role: .server, settings: settings, delegate: self)
        } catch {
            logger.error("h2.session_create_failed", metadata: ["h2.error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let interval = liveness.tickInterval {
            let handlerBox = NIOLoopBound(self, eventLoop: context.eventLoop)
            livenessTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in
                handlerBox.value.checkLiveness()
            }
        }
        flush()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        livenessTimer?.cancel()
        livenessTimer = nil
        cancelAllStreams()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        livenessTimer?.cancel()
        livenessTimer = nil
        cancelAllStreams()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        isReading = true
        liveness.read(at: .now)
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try session.receive(bytes) }
        } catch {
            logger.debug("h2.protocol_error", metadata: ["h2.error": "\(error)"])
            // nghttp2 queued a GOAWAY where it could; send it, then close.
            isReading = false
            flush()
            context.close(promise: nil)
            return
        }
        dispatchReadyStreams()
        liveness.streamsChanged(openCount: streams.count, at: .now)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flush() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ServerConnectionEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch event {
        case .beginShutdown:
            beginShutdown()
        case .drain:
            sendFinalGoAway()
            drainStreams()
        }
        if !isReading { flush() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("h2.connection_error", metadata: ["h2.error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Graceful shutdown

    /// Sends the shutdown notice and a PING; the final GOAWAY follows the PING's acknowledgement
    /// or, from a peer that does not answer, a fixed delay.
    private func beginShutdown() {
        guard shutdownPhase == .serving, let session, let loop = context?.eventLoop else { return }
        shutdownPhase = .notified
        logger.debug("h2.shutdown_notice")
        session.submitShutdownNotice()
        session.submitPing()
        let handlerBox = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(in: TimeAmount(ServerConnectionEvent.finalGoAwayDelay)) {
            handlerBox.value.sendFinalGoAway()
            handlerBox.value.flushUnlessReading()
        }
    }

    /// Sends GOAWAY(NO_ERROR) naming the last stream processed: later streams are refused, and
    /// the connection closes once the streams up to it are done.
    private func sendFinalGoAway() {
        guard shutdownPhase != .goingAway, let session else { return }
        shutdownPhase = .goingAway
        logger.debug("h2.goaway", metadata: ["h2.last_stream_id": "\(session.lastProcessedStreamID)"])
        session.submitGoAway(errorCode: HTTP2ErrorCodes.noError)
    }

    /// Marks every streaming call to end with UNAVAILABLE once caught up, and asks the waiting
    /// ones again so they do.
    private func drainStreams() {
        isDraining = true
        for stream in streams.values where stream.phase == .responding && stream.producer != nil && stream.isDeferred {
            stream.isDeferred = false
            session?.resumeData(streamID: stream.id)
        }
    }

    /// Acts on what `liveness` says: keepalive PING, or closing an idle or unresponsive connection.
    private func checkLiveness() {
        guard let session, let context, !isClosingOutput else { return }
        liveness.streamsChanged(openCount: streams.count, at: .now)
        switch liveness.tick(at: .now) {
        case .none:
            return
        case .sendPing:
            liveness.pingSent(at: .now)
            session.submitPing()
        case .closeIdle:
            logger.debug("h2.idle_timeout")
            shutdownPhase = .goingAway
            session.submitGoAway(errorCode: HTTP2ErrorCodes.noError)
            flushUnlessReading()
            closeGracefully(context)
            return
        case .closeUnresponsive:
            logger.debug("h2.keepalive_timeout")
            shutdownPhase = .goingAway
            session.submitGoAway(errorCode: HTTP2ErrorCodes.noError)
            flushUnlessReading()
            context.close(promise: nil)
            return
        }
        flushUnlessReading()
    }

    private func flushUnlessReading() {
        if !isReading { flush() }
    }

    // MARK: HTTP2SessionDelegate

    func sessionDidReceivePingAck(_ session: HTTP2Session) {
        liveness.pingAcknowledged()
        if shutdownPhase == .notified { sendFinalGoAway() }
    }

    /// Registers a stream answered at once without reading its request (an HTTP error, a bad
    /// head, an unknown method).
    private func registerUnreadStream(_ id: Int32, head: GRPCRequestHead?, clientEnded: Bool) -> ServerStream {
        let stream = ServerStream(id: id, head: head, handler: nil, maxMessageSize: 0)
        stream.clientEnded = clientEnded
        streams[id] = stream
        return stream
    }

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool) {
        if let stream = streams[streamID] {
            // Request trailers: gRPC clients do not send them, but they do end the stream.
            if endStream { requestEnded(stream) }
            return
        }
        switch GRPCRequestHead.parse(headers) {
        case .httpError(let status, let body, let responseHeaders):
            let stream = registerUnreadStream(streamID, head: nil, clientEnded: endStream)
            stream.pending = PendingBytes(Array(body.utf8))
            stream.ending = .endOfBody
            stream.phase = .responding
            let head = [HeaderField(name: ":status", value: String(status))] + responseHeaders
            submit(stream) { try session.submitResponse(streamID: streamID, headers: head, hasBody: true) }
        case .rpcError(let status):
            finishTrailersOnly(registerUnreadStream(streamID, head: nil, clientEnded: endStream), status)
        case .rpc(let head):
            switch router.route(head) {
            case .failure(let status):
                finishTrailersOnly(registerUnreadStream(streamID, head: head, clientEnded: endStream), status)
            case .success(let handler):
                let stream = ServerStream(id: streamID, head: head, handler: handler, maxMessageSize: configuration.maxReceiveMessageSize)
                streams[streamID] = stream
                if let timeout = head.timeout { startDeadline(stream, timeout: timeout) }
                if case .bidirectionalStreaming(let start) = handler {
                    startRequestStream(stream, head: head, start: start)
                }
                if endStream { requestEnded(stream) }
            }
        }
    }

    func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32) {
        // The session already queued RST_STREAM(ENHANCE_YOUR_CALM); a stream known here is
        // getting oversize trailers.
        logger.debug("h2.header_list_rejected", metadata: [
            "h2.stream_id": "\(streamID)", "h2.max_header_list_size": "\(configuration.http2.maxHeaderListSize)",
        ])
        guard let stream = streams[streamID] else { return }
        stream.phase = .finished
        stream.producer?.cancel()
        stream.producer = nil
        stream.requestHandler = nil
        releaseWindow(stream)
    }

    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        guard let stream = streams[streamID], stream.phase == .receiving || stream.acceptsRequestMessages else {
            // Nobody reads these bytes: give their window back at once.
            session.consumeConnectionWindow(data.count)
            return
        }
        stream.heldBytes += data.count
        defer { releaseWindow(stream) }
        stream.deframer.append(data)
        if let requestHandler = stream.requestHandler {
            do {
                while stream.acceptsRequestMessages, let message = try stream.deframer.next() {
                    try requestHandler.receive(message)
                }
            } catch {
                endResponse(stream, error)
            }
            return
        }
        do {
            while let message = try stream.deframer.next() {
                guard stream.request == nil else {
                    finishTrailersOnly(stream, RPCStatus(code: .internalError, message: "more than one request message for a method that takes one"))
                    return
                }
                stream.request = message
            }
        } catch {
            finishTrailersOnly(stream, error)
        }
    }

    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        requestEnded(stream)
    }

    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32) {
        guard let stream = streams[streamID], !stream.clientEnded else { return }
        // The response is complete but the client is still sending a request nobody will read:
        // stop it with RST_STREAM(NO_ERROR), after the final frame as gRPC requires. libnghttp2
        // 1.52 does not do this itself.
        session.resetStream(streamID: streamID, errorCode: HTTP2ErrorCodes.noError)
    }

    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        stream.phase = .finished
        stream.producer?.cancel()
        stream.producer = nil
        stream.requestHandler = nil
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        releaseWindow(stream)
    }

    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let stream = streams[streamID] else {
            return .end(bytes: 0, trailers: [HeaderField(name: "grpc-status", value: String(RPCStatus.Code.cancelled.rawValue))])
        }
        let askAgain = stream.refill(budget: configuration.streamChunkSize)
        let count = stream.pending.take(into: buffer)
        if stream.pending.isEmpty, let ending = stream.ending {
            stream.phase = .finished
            switch ending {
            case .endOfBody:
                return .end(bytes: count, trailers: nil)
            case .trailers(let status):
                statistics.record(status.code)
                return .end(bytes: count, trailers: GRPCResponseHeaders.trailers(status))
            }
        }
        if count == 0, isDraining, !askAgain, stream.producer != nil {
            // Shutting down and caught up: end the call so the client goes elsewhere (and, for
            // a watch, resumes from the last sequence it received).
            stream.producer?.cancel()
            stream.producer = nil
            stream.requestHandler = nil
            stream.phase = .finished
            let status = RPCStatus(code: .unavailable, message: "the server is shutting down")
            statistics.record(status.code)
            return .end(bytes: 0, trailers: GRPCResponseHeaders.trailers(status))
        }
        if count == 0 {
            stream.isDeferred = true
            if askAgain, let loop = context?.eventLoop {
                // The producer has more (or was woken while producing) but gave nothing this
                // time: ask again on the next loop turn rather than spinning inside this
                // nghttp2 callback.
                let handler = NIOLoopBound(self, eventLoop: loop)
                loop.execute { handler.value.resume(streamID: streamID) }
            }
            return .deferred
        }
        return .bytes(count)
    }

    // MARK: Request lifecycle

    /// The client finished sending: a complete single request message starts the call.
    private func requestEnded(_ stream: ServerStream) {
        if let requestHandler = stream.requestHandler, stream.acceptsRequestMessages {
            stream.clientEnded = true
            if stream.deframer.hasPartialMessage {
                endResponse(stream, RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
            } else {
                requestHandler.requestsEnded()
            }
            return
        }
        stream.clientEnded = true
        guard stream.phase == .receiving else { return }
        if stream.deframer.hasPartialMessage {
            finishTrailersOnly(stream, RPCStatus(code: .internalError, message: "request stream ended in the middle of a message"))
        } else if stream.request == nil {
            finishTrailersOnly(stream, RPCStatus(code: .internalError, message: "request stream ended without a request message"))
        } else {
            stream.phase = .dispatched
            readyStreams.append(stream.id)
        }
    }

    /// Calls the handlers of requests completed by the last `receive`, outside nghttp2 callbacks.
    private func dispatchReadyStreams() {
        guard !readyStreams.isEmpty, let context else { return }
        let ready = readyStreams
        readyStreams.removeAll(keepingCapacity: true)
        for id in ready {
            guard let stream = streams[id], stream.phase == .dispatched,
                  let head = stream.head, let handler = stream.handler, let request = stream.request
            else { continue }
            stream.request = nil
            releaseWindow(stream)
            let callContext = ServerCallContext(path: head.path, metadata: head.metadata, deadline: stream.deadline)
            let loop = context.eventLoop
            let handlerBox = NIOLoopBound(self, eventLoop: loop)
            switch handler {
            case .unary(let call):
                let responder = UnaryResponder { result in
                    loop.runOnLoop { handlerBox.value.unaryCompleted(streamID: id, result: result) }
                }
                call(request, callContext, responder)
            case .bidirectionalStreaming:
                // Started when its headers arrived; never queued for dispatch.
                continue
            case .serverStreaming(let start):
                let waker = StreamWaker {
                    loop.runOnLoop { handlerBox.value.resume(streamID: id) }
                }
                do {
                    stream.producer = try start(request, callContext, waker)
                    stream.phase = .responding
                    submit(stream) { try self.session?.submitResponse(streamID: id, headers: GRPCResponseHeaders.head, hasBody: true) }
                } catch {
                    finishTrailersOnly(stream, error)
                }
            }
        }
    }

    private func unaryCompleted(streamID: Int32, result: Result<[UInt8], RPCStatus>) {
        guard let stream = streams[streamID], stream.phase == .dispatched else { return }
        switch result {
        case .success(let message):
            var framed: [UInt8] = []
            framed.reserveCapacity(message.count + 5)
            GRPCMessageFramer.frame(message, into: &framed)
            stream.pending = PendingBytes(framed)
            stream.ending = .trailers(.ok)
            stream.phase = .responding
            submit(stream) { try self.session?.submitResponse(streamID: streamID, headers: GRPCResponseHeaders.head, hasBody: true) }
        case .failure(let status):
            finishTrailersOnly(stream, status)
        }
        if !isReading { flush() }
    }

    // MARK: Deadlines

    /// Records the call's deadline and arms the timer that ends the call when it passes.
    private func startDeadline(_ stream: ServerStream, timeout: Duration) {
        stream.deadline = ContinuousClock.now.advanced(by: timeout)
        guard let loop = context?.eventLoop else { return }
        let handlerBox = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        stream.deadlineTimer = loop.scheduleTask(in: TimeAmount(timeout)) {
            handlerBox.value.deadlineExpired(streamID: id)
        }
    }

    /// Ends a call whose deadline passed with DEADLINE_EXCEEDED: at once while it waits for its
    /// request or its unary answer (a late answer is dropped), after the messages already
    /// produced while it streams (its producer is cancelled). A unary answer being sent is left
    /// to finish.
    private func deadlineExpired(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.deadlineTimer = nil
        let status = RPCStatus(code: .deadlineExceeded, message: "deadline exceeded")
        switch stream.phase {
        case .receiving, .dispatched:
            logger.debug("rpc.deadline_exceeded", metadata: ["h2.stream_id": "\(streamID)"])
            finishTrailersOnly(stream, status)
        case .responding:
            guard stream.ending == nil else { return }
            logger.debug("rpc.deadline_exceeded", metadata: ["h2.stream_id": "\(streamID)"])
            endResponse(stream, status)
        case .finished:
            return
        }
        if !isReading { flush() }
    }

    /// Ends a streaming response with `status` after what was produced, and wakes nghttp2 for it.
    private func endResponse(_ stream: ServerStream, _ status: RPCStatus) {
        if stream.endResponse(with: status) {
            session?.resumeData(streamID: stream.id)
        }
        releaseWindow(stream)
        if !isReading { flush() }
    }

    /// Starts a client-streaming or bidirectional call as soon as its headers arrived: the
    /// response headers go out at once, request messages reach the handler as they arrive.
    private func startRequestStream(
        _ stream: ServerStream,
        head: GRPCRequestHead,
        start: @Sendable (ServerCallContext, StreamWaker) throws(RPCStatus) -> any RequestStreamHandler
    ) {
        guard let loop = context?.eventLoop else { return }
        let handlerBox = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        let waker = StreamWaker {
            loop.runOnLoop { handlerBox.value.resume(streamID: id) }
        }
        let callContext = ServerCallContext(path: head.path, metadata: head.metadata, deadline: stream.deadline)
        do {
            let handler = try start(callContext, waker)
            stream.requestHandler = handler
            stream.producer = handler
            stream.phase = .responding
            submit(stream) { try self.session?.submitResponse(streamID: id, headers: GRPCResponseHeaders.head, hasBody: true) }
        } catch {
            finishTrailersOnly(stream, error)
        }
    }

    /// Reopens the connection window for the bytes `stream` no longer needs to hold.
    private func releaseWindow(_ stream: ServerStream) {
        let release = stream.heldBytes - stream.bytesToHold
        guard release > 0 else { return }
        stream.heldBytes -= release
        session?.consumeConnectionWindow(release)
    }

    private func resume(streamID: Int32) {
        guard let stream = streams[streamID], let session else { return }
        guard stream.isDeferred else {
            // Not deferred: nghttp2 is asking for body right now, so this is a waker called
            // from inside `produce` (this thread). Let the read callback ask again.
            stream.wokenWhileProducing = true
            return
        }
        stream.isDeferred = false
        session.resumeData(streamID: streamID)
        if !isReading { flush() }
    }

    /// Ends a stream with one HEADERS frame carrying the status (gRPC Trailers-Only).
    private func finishTrailersOnly(_ stream: ServerStream, _ status: RPCStatus) {
        guard stream.phase != .finished, stream.phase != .responding else { return }
        stream.phase = .finished
        stream.request = nil
        releaseWindow(stream)
        statistics.record(status.code)
        let fields = GRPCResponseHeaders.trailersOnly(status)
        submit(stream) { try self.session?.submitHeaders(streamID: stream.id, headers: fields, endStream: true) }
    }

    /// Runs a submit call; a failure resets the stream rather than leaving it hanging.
    private func submit(_ stream: ServerStream, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            logger.debug("h2.submit_failed", metadata: ["h2.stream_id": "\(stream.id)", "h2.error": "\(error)"])
            stream.phase = .finished
            session?.resetStream(streamID: stream.id, errorCode: HTTP2ErrorCodes.internalError)
        }
    }

    // MARK: Output

    /// Writes what nghttp2 has to send while the channel can take it; closes the channel once
    /// the session is done or failed.
    private func flush() {
        guard let context, let session else { return }
        do {
            if try session.writeOutput(to: context) == .finished {
                closeGracefully(context)
            }
        } catch {
            logger.debug("h2.send_failed", metadata: ["h2.error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// Closes the connection once the session is done: first the output only, so the peer reads
    /// everything sent (the final GOAWAY, trailers) instead of a reset that may discard it, then
    /// the whole channel when the peer closes or after ``lingerTime``.
    private func closeGracefully(_ context: ChannelHandlerContext) {
        guard !isClosingOutput else { return }
        isClosingOutput = true
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
    }

    /// How long a finished connection waits for the peer to close before closing itself.
    private static let lingerTime = TimeAmount.seconds(1)

    private func cancelAllStreams() {
        let open = streams
        streams.removeAll()
        for stream in open.values {
            stream.phase = .finished
            stream.producer?.cancel()
            stream.producer = nil
            stream.requestHandler = nil
            stream.deadlineTimer?.cancel()
            stream.deadlineTimer = nil
        }
    }
}

@available(*, unavailable)
extension GRPCServerConnectionHandler: Sendable {}
