import HeaderFields
import Logging
import NGHTTP2
import NIOCore
import RPCCore

/// Serves gRPC on one HTTP/2 connection: a thin driver of an `HTTP2Session` (libnghttp2), a
/// ``ServerConnectionStateMachine`` for the connection and a ``ServerStreamStateMachine`` per
/// stream. It feeds them what the channel, the session, timers and handlers report, and
/// performs the actions they return.
///
/// Everything runs on the channel's event loop. Handlers complete from any thread; completions
/// hop back to the loop. Output is drained from nghttp2 only while the channel is writable and
/// stream bodies are pulled only as flow control allows, so a slow reader costs the server at
/// most a flow-control window and a socket buffer; what streams buffer is charged to the
/// server-wide ``BufferBudget``.
final class GRPCServerConnectionHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long the trailers of a call whose deadline passed may take to leave before the
    /// stream is reset.
    static let deadlineGrace = TimeAmount.milliseconds(20)
    /// How long a finished connection waits for the peer to close before closing itself.
    private static let lingerTime = TimeAmount.seconds(1)

    private let router: RPCRouter
    private let configuration: GRPCServerConfiguration
    private let statistics: CallStatistics
    private let logger: Logger

    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    private var connection: ServerConnectionStateMachine
    private let streams: ServerStreams
    /// Answers of unary calls completed on other threads, waiting for this loop.
    private let completions = CompletionInbox()
    /// True inside `channelRead`..`channelReadComplete`, which flushes once at the end.
    private var isReading = false
    /// The output side is closed; nothing more is written.
    private var isOutputClosed = false
    /// True inside ``flush()``; a flush asked for meanwhile sets `isFlushAgainRequested`.
    private var isFlushing = false
    private var isFlushAgainRequested = false
    private var livenessTimer: RepeatedTask?
    /// Under mutual TLS, the client certificate's identity, read once at the first call (the
    /// handshake is done by then) for every call's context.
    private lazy var peerIdentity: String? = {
        guard let tls = configuration.tls, tls.requiresClientCertificates, let channel = context?.channel else { return nil }
        return tls.peerIdentity(of: channel)
    }()

    init(router: RPCRouter, configuration: GRPCServerConfiguration, statistics: CallStatistics, budget: BufferBudget, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.statistics = statistics
        self.logger = logger
        self.streams = ServerStreams(budget: budget, statistics: statistics, logger: logger)
        self.connection = ServerConnectionStateMachine(liveness: ConnectionLiveness(
            idleTimeout: configuration.idleTimeout,
            keepaliveInterval: configuration.keepaliveInterval,
            keepaliveTimeout: configuration.keepaliveTimeout,
            now: .now
        ))
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            var settings = configuration.http2
            // Request bytes reopen the connection window only once they left this handler, so
            // all streams together buffer at most one connection window.
            settings.holdsConnectionWindow = true
            session = try HTTP2Session(role: .server, settings: settings, delegate: self)
            streams.session = session
        } catch {
            logger.error("h2.session_create_failed", metadata: ["h2.error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let interval = connection.tickInterval {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            livenessTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in
                handler.value.tick()
            }
        }
        flush()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimersAndStreams()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimersAndStreams()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, connection.isOpen else { return }
        isReading = true
        connection.bytesRead(at: .now)
        let buffer = unwrapInboundIn(data)
        let failure = buffer.withUnsafeReadableBytes { bytes -> HTTP2Error? in
            do throws(HTTP2Error) {
                try session.receive(bytes)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            isReading = false
            perform(connection.receiveFailed(failure, goAwayQueued: session.isTerminating))
            return
        }
        dispatchReadyStreams()
        connection.streamsChanged(openCount: streams.count, at: .now)
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
        case .beginShutdown: perform(connection.beginShutdown())
        case .drain: perform(connection.drain())
        }
        flushUnlessReading()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("h2.connection_error", metadata: ["h2.error": "\(error)"])
        perform(connection.channelFailed())
    }

    // MARK: HTTP2SessionDelegate

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool) {
        if let entry = streams[streamID] {
            // Request trailers: gRPC clients do not send them, but they do end the stream.
            if endStream { streams.update(entry) { $0.receivedEndOfStream() } }
            return
        }
        // Every open stream is charged to the budget: its header list, which it keeps, and a
        // fixed amount; a stream that does not fit is refused.
        var headerListSize = 0
        for field in headers { headerListSize += field.name.utf8.count + field.value.utf8.count + 32 }
        guard let charge = streams.chargeForOpening(headerListSize: headerListSize, streamID: streamID) else {
            let (machine, action) = ServerStreamStateMachine.rejected(ServerStreamStateMachine.budgetExhausted, id: streamID, clientEnded: endStream)
            streams.open(machine, action)
            return
        }
        switch GRPCRequestHead.parse(headers) {
        case .httpError(let status, let body, let responseHeaders):
            let answer = ServerStreamStateMachine.HTTPAnswer(
                headers: [HeaderField(name: ":status", value: String(status))] + responseHeaders, body: Array(body.utf8)
            )
            let (machine, action) = ServerStreamStateMachine.answering(answer, id: streamID, clientEnded: endStream)
            streams.open(machine, action, charge: charge)
        case .rpcError(let status):
            let (machine, action) = ServerStreamStateMachine.rejected(status, id: streamID, clientEnded: endStream)
            streams.open(machine, action, charge: charge)
        case .rpc(let head):
            switch router.route(head) {
            case .failure(let status):
                let (machine, action) = ServerStreamStateMachine.rejected(status, id: streamID, clientEnded: endStream)
                streams.open(machine, action, head: head, charge: charge)
            case .success(let handler):
                openCall(streamID, head: head, handler: handler, endStream: endStream, charge: charge)
            }
        }
    }

    func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32) {
        // The session already queued RST_STREAM(ENHANCE_YOUR_CALM); a stream known here is
        // getting oversize trailers.
        logger.debug("h2.header_list_rejected", metadata: [
            "h2.stream_id": "\(streamID)", "h2.max_header_list_size": "\(configuration.http2.maxHeaderListSize)",
        ])
        if let entry = streams[streamID] { streams.close(entry) }
    }

    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        guard let entry = streams[streamID] else {
            // Nobody reads these bytes: give their window back at once.
            session.consumeConnectionWindow(data.count)
            return
        }
        streams.receive(data, on: entry)
    }

    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32) {
        guard let entry = streams[streamID] else { return }
        streams.update(entry) { $0.receivedEndOfStream() }
    }

    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32) {
        guard let entry = streams[streamID] else { return }
        streams.update(entry) { $0.sentEndOfStream() }
    }

    func session(_ session: HTTP2Session, didSendGoAwayWith errorCode: UInt32) {
        perform(connection.sentGoAway(errorCode: errorCode))
    }

    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32) {
        streams.close(streamID)
    }

    func sessionWillReceiveFrameNeedingAck(_ session: HTTP2Session) -> Bool {
        connection.frameNeedingAckReceived(at: .now)
    }

    func sessionDidReceivePingAck(_ session: HTTP2Session) {
        perform(connection.pingAcknowledged())
    }

    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let entry = streams[streamID] else {
            return .end(bytes: 0, trailers: GRPCResponseHeaders.trailers(RPCStatus(code: .cancelled, message: "the call was cancelled")))
        }
        switch streams.readBody(of: entry, into: buffer, chunkSize: configuration.streamChunkSize, isDraining: connection.isDraining) {
        case .bytes(let count):
            return .bytes(count)
        case .deferred(let askAgain):
            if askAgain, let loop = context?.eventLoop {
                // More is ready (or the waker ran while producing) but nothing came this time:
                // ask on the next loop turn rather than spinning inside this nghttp2 callback.
                let handler = NIOLoopBound(self, eventLoop: loop)
                loop.execute { handler.value.resume(streamID: streamID) }
            }
            return .deferred
        case .end(let count, let status?):
            statistics.record(status.code, path: entry.routedPath, openedAt: entry.openedAt)
            return .end(bytes: count, trailers: GRPCResponseHeaders.trailers(status))
        case .end(let count, nil):
            return .end(bytes: count, trailers: nil)
        }
    }

    // MARK: Calls

    /// Opens a routed call: its deadline starts, and a request-streaming handler starts at once.
    private func openCall(_ streamID: Int32, head: GRPCRequestHead, handler: RPCHandler, endStream: Bool, charge: Int) {
        let deadline = head.timeout.map { ContinuousClock.now.advanced(by: $0) }
        let entry: ServerStreams.Entry
        if case .bidirectionalStreaming(let start) = handler {
            let context = ServerCallContext(path: head.path, metadata: head.metadata, deadline: deadline, peerIdentity: peerIdentity)
            let maxMessageSize = configuration.maxReceiveMessageSize
            do {
                let requestHandler = try start(context, waker(for: streamID))
                let (machine, action) = ServerStreamStateMachine.streamingRequests(to: requestHandler, id: streamID, maxMessageSize: maxMessageSize)
                entry = streams.open(machine, action, head: head, handler: handler, charge: charge)
            } catch {
                let (machine, action) = ServerStreamStateMachine.rejected(error, id: streamID, clientEnded: endStream)
                streams.open(machine, action, head: head, charge: charge)
                return
            }
        } else {
            let machine = ServerStreamStateMachine.receiving(id: streamID, maxMessageSize: configuration.maxReceiveMessageSize)
            entry = streams.open(machine, head: head, handler: handler, charge: charge)
        }
        if let timeout = head.timeout, let deadline, let loop = context?.eventLoop {
            entry.deadline = deadline
            let handler = NIOLoopBound(self, eventLoop: loop)
            entry.deadlineTimer = loop.scheduleTask(in: TimeAmount(timeout)) { handler.value.deadlineExpired(streamID: streamID) }
        }
        if endStream { streams.update(entry) { $0.receivedEndOfStream() } }
    }

    /// Calls the handlers of requests completed by the last `receive`, outside nghttp2 callbacks.
    private func dispatchReadyStreams() {
        for id in streams.takeReady() {
            guard let entry = streams[id], let head = entry.head, let handler = entry.handler,
                  let request = streams.takeRequest(of: entry), let loop = context?.eventLoop
            else { continue }
            let callContext = ServerCallContext(
                path: head.path, metadata: head.metadata, deadline: entry.deadline, peerIdentity: peerIdentity
            )
            switch handler {
            case .unary(let call):
                let handler = NIOLoopBound(self, eventLoop: loop)
                let completions = self.completions
                call(request, callContext, UnaryResponder { result in
                    if loop.inEventLoop {
                        handler.value.unaryCompleted(streamID: id, result: result)
                    } else if completions.post((id, result)) {
                        loop.execute { handler.value.deliverCompletions() }
                    }
                })
            case .serverStreaming(let start):
                do {
                    let producer = try start(request, callContext, waker(for: id))
                    streams.update(entry) { $0.startedProducing(producer) }
                } catch {
                    streams.update(entry) { $0.unaryCompleted(.failure(error)) }
                }
            case .bidirectionalStreaming:
                // Started when its headers arrived; never dispatched.
                continue
            }
        }
    }

    private func unaryCompleted(streamID: Int32, result: Result<[UInt8], RPCStatus>) {
        guard let entry = streams[streamID] else { return }
        streams.update(entry) { $0.unaryCompleted(result) }
        flushUnlessReading()
    }

    /// Completes the unary calls answered on other threads since the last delivery, then
    /// writes all their answers at once.
    private func deliverCompletions() {
        for (streamID, result) in completions.takeAll() {
            guard let entry = streams[streamID] else { continue }
            streams.update(entry) { $0.unaryCompleted(result) }
        }
        flushUnlessReading()
    }

    /// A waker that asks the stream's producer again on this connection's loop.
    private func waker(for streamID: Int32) -> StreamWaker {
        let loop = context!.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        return StreamWaker { loop.runOnLoop { handler.value.resume(streamID: streamID) } }
    }

    private func resume(streamID: Int32) {
        guard let entry = streams[streamID] else { return }
        streams.wake(entry)
        flushUnlessReading()
    }

    private func deadlineExpired(streamID: Int32) {
        guard let entry = streams[streamID], let session else { return }
        entry.deadlineTimer = nil
        logger.debug("rpc.deadline_exceeded", metadata: ["h2.stream_id": "\(streamID)"])
        let window = session.sendWindow(streamID: streamID)
        streams.update(entry) { $0.deadlineExpired(sendWindow: window) }
        if case .responding = entry.machine.state, let loop = context?.eventLoop {
            let handler = NIOLoopBound(self, eventLoop: loop)
            entry.deadlineTimer = loop.scheduleTask(in: Self.deadlineGrace) { handler.value.deadlineGraceExpired(streamID: streamID) }
        }
        flushUnlessReading()
    }

    private func deadlineGraceExpired(streamID: Int32) {
        guard let entry = streams[streamID] else { return }
        entry.deadlineTimer = nil
        streams.update(entry) { $0.deadlineGraceExpired() }
        flushUnlessReading()
    }

    // MARK: Performing connection actions

    private func perform(_ actions: [ServerConnectionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .sendShutdownNotice:
                logger.debug("h2.shutdown_notice")
                session?.submitShutdownNotice()
                session?.submitPing()
                if let loop = context?.eventLoop {
                    let handler = NIOLoopBound(self, eventLoop: loop)
                    loop.scheduleTask(in: TimeAmount(ServerConnectionEvent.finalGoAwayDelay)) {
                        handler.value.perform(handler.value.connection.finalGoAwayDue())
                        handler.value.flushUnlessReading()
                    }
                }
            case .sendGoAway(let errorCode, let debugData):
                logger.debug("h2.goaway", metadata: [
                    "h2.last_stream_id": "\(session?.lastProcessedStreamID ?? 0)", "h2.error_code": "\(errorCode)", "h2.debug": "\(debugData)",
                ])
                session?.submitGoAway(errorCode: errorCode, debugData: debugData)
            case .sendPing:
                session?.submitPing()
            case .drainStreams:
                streams.forEach { entry in streams.update(entry) { $0.drain() } }
            case .recordViolation(let violation):
                statistics.recordViolation(violation.reason)
                logger.info("h2.protocol_limit", metadata: [
                    "h2.reason": "\(violation.reason)", "h2.error_code": "\(violation.errorCode)", "h2.debug": "\(violation.debugData)",
                ])
            case .closeGracefully:
                flush()
                closeGracefully()
            case .closeNow:
                flush()
                context?.close(promise: nil)
            }
        }
    }

    /// The liveness timer: keepalive PING, or closing an idle or unresponsive connection.
    private func tick() {
        connection.streamsChanged(openCount: streams.count, at: .now)
        perform(connection.tick(at: .now))
        flushUnlessReading()
    }

    private func stopTimersAndStreams() {
        livenessTimer?.cancel()
        livenessTimer = nil
        streams.closeAll()
    }

    // MARK: Output

    private func flushUnlessReading() {
        if !isReading { flush() }
    }

    /// Writes what nghttp2 has to send while the channel can take it. Never re-entered (that
    /// would call nghttp2's send from inside its own callbacks): a flush asked for meanwhile, by
    /// handler code that the send called or by the channel becoming writable again as the
    /// written bytes leave, runs once the current one is done.
    private func flush() {
        guard context != nil, session != nil, !isOutputClosed else { return }
        if isFlushing {
            isFlushAgainRequested = true
            return
        }
        isFlushing = true
        defer { isFlushing = false }
        repeat {
            isFlushAgainRequested = false
            writeOutput()
        } while isFlushAgainRequested && !isOutputClosed
    }

    private func writeOutput() {
        guard let context, let session else { return }
        do {
            if try session.writeOutput(to: context) == .finished {
                perform(connection.sessionFinished())
            }
        } catch {
            logger.debug("h2.send_failed", metadata: ["h2.error": "\(error)"])
            perform(connection.channelFailed())
        }
    }

    /// Closes the output once what is queued is written, so the peer reads everything sent
    /// (the final GOAWAY, trailers) instead of a reset that may discard it; then the whole
    /// channel when the peer closes or after ``lingerTime``.
    private func closeGracefully() {
        guard let context, !isOutputClosed else { return }
        isOutputClosed = true
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension GRPCServerConnectionHandler: Sendable {}
