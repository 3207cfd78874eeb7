import HeaderFields
import Logging
import NGHTTP2
import NIOCore
import RPCCore

/// Runs gRPC calls over one HTTP/2 connection as a client: calls in from ``GRPCClient``,
/// through libnghttp2 (client role), to the socket, and responses back to each call's sink.
///
/// Everything runs on the channel's event loop; ``GRPCClient`` reaches it with
/// `eventLoop.execute`. nghttp2 is only driven from channel events and those hops, never from
/// inside its own callbacks: callbacks record state, submit frames and complete sinks, and the
/// bytes go out in ``flush()`` afterwards.
///
/// Memory: output is drained from nghttp2 only while the channel is writable; a request body
/// is pulled as the server's flow-control window allows. For input, nghttp2 grants window as
/// soon as bytes are fed to it, so the handler bounds what it buffers for a slow
/// server-streaming consumer by withholding `read()` from the channel while any stream's
/// buffer is over its limit (the handler is a duplex handler for that reason).
final class GRPCClientConnectionHandler: ChannelDuplexHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Legal transitions: `open` → `closed`. Calls start only while `open`.
    private enum State {
        case open
        case closed(reason: String)
    }

    private let configuration: GRPCClientConfiguration
    private let logger: Logger

    private var state: State = .open
    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    private var streams: [Int32: ClientStream] = [:]
    /// The stream of each running call, for cancellation and wake-ups that know only the call.
    private var streamIDs: [UInt64: Int32] = [:]
    /// Streams whose consumer is behind; reading pauses while this is not empty.
    private var overfullStreams: Set<Int32> = []
    /// A `read()` withheld while paused, forwarded on resume.
    private var readPending = false
    /// True inside `channelRead`..`channelReadComplete`, which flushes once at the end.
    private var isReading = false

    init(configuration: GRPCClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Calls (from GRPCClient, on the event loop)

    /// Starts a call, or completes it at once with UNAVAILABLE or CANCELLED.
    func start(_ call: ClientCall) {
        guard case .open = state, let session, let context else {
            call.sink.finish(RPCStatus(code: .unavailable, message: closedMessage), response: nil)
            return
        }
        if call.cancellation.isCancelled {
            call.sink.finish(RPCStatus(code: .cancelled, message: "the call was cancelled by the client"), response: nil)
            return
        }
        let streamID: Int32
        do {
            streamID = try session.submitRequest(headers: call.headers, hasBody: true)
        } catch {
            // NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE (ids exhausted), _START_STREAM_NOT_ALLOWED
            // (GOAWAY received), _NOMEM: none will change on this connection.
            call.sink.finish(RPCStatus(code: .unavailable, message: "cannot start a stream on this connection: \(error)"), response: nil)
            return
        }
        let stream = ClientStream(id: streamID, call: call, maxMessageSize: configuration.maxReceiveMessageSize)
        streams[streamID] = stream
        streamIDs[call.id] = streamID
        if let deadline = call.deadline {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let callID = call.id
            stream.deadlineTimer = context.eventLoop.scheduleTask(deadline: deadline) {
                handler.value.deadlineExceeded(callID: callID)
            }
        }
        flushUnlessReading()
    }

    /// The caller gave up: reset the call's stream with CANCEL and complete it with CANCELLED.
    func cancel(callID: UInt64) {
        guard let streamID = streamIDs[callID], let stream = streams[streamID] else { return }
        finish(stream, RPCStatus(code: .cancelled, message: "the call was cancelled by the client"), resetCode: HTTP2ErrorCodes.cancel)
        flushUnlessReading()
    }

    /// A paused stream's consumer caught up.
    func streamDrained(callID: UInt64) {
        guard let streamID = streamIDs[callID] else { return }
        markDrained(streamID)
    }

    /// Sends GOAWAY and closes the connection; running calls end with UNAVAILABLE.
    func closeConnection() -> EventLoopFuture<Void>? {
        guard case .open = state, let context, let session else { return nil }
        state = .closed(reason: "the client closed the connection")
        session.submitGoAway(errorCode: HTTP2ErrorCodes.noError)
        flush()
        failAllStreams()
        // Writes complete in order: close once the GOAWAY (and anything before it) is out, or
        // the write failed.
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)), promise: written)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        // A server that stopped reading would hold the GOAWAY back forever.
        let timer = context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in timer.cancel() }
        return channel.closeFuture
    }

    private func deadlineExceeded(callID: UInt64) {
        guard let streamID = streamIDs[callID], let stream = streams[streamID] else { return }
        stream.deadlineTimer = nil
        finish(stream, RPCStatus(code: .deadlineExceeded, message: "the deadline passed before the server answered"), resetCode: HTTP2ErrorCodes.cancel)
        flushUnlessReading()
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            // Queues the connection preface and SETTINGS, sent once the channel is active.
            session = try HTTP2Session(role: .client, settings: configuration.http2, delegate: self)
        } catch {
            logger.error("h2.session_create_failed", metadata: ["h2.error": "\(error)"])
            state = .closed(reason: "could not create the HTTP/2 session: \(error)")
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed(reason: "the connection closed")
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed(reason: "the connection closed")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        isReading = true
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try session.receive(bytes) }
        } catch {
            logger.debug("h2.protocol_error", metadata: ["h2.error": "\(error)"])
            isReading = false
            closed(reason: "the server broke the HTTP/2 protocol: \(error)")
            // nghttp2 queued a GOAWAY where it could; send it, then close.
            flush()
            context.close(promise: nil)
        }
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("h2.connection_error", metadata: ["h2.error": "\(error)"])
        closed(reason: "the connection failed: \(error)")
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if overfullStreams.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: HTTP2SessionDelegate

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool) {
        guard let stream = streams[streamID], stream.phase != .finished else { return }
        if endStream { stream.responseEnded = true }
        switch stream.phase {
        case .awaitingHead:
            var status: Int?
            var contentType: String?
            for field in headers {
                switch field.name {
                case ":status": if status == nil { status = Int(field.value) }
                case "content-type": if contentType == nil { contentType = field.value }
                default: continue
                }
            }
            stream.httpStatus = status
            if endStream {
                // Trailers-Only.
                finish(stream, RPCStatus(receivedIn: headers, httpStatus: status), resetCode: nil)
            } else if status != 200 {
                finish(stream, RPCStatus(httpStatus: status ?? 0), resetCode: HTTP2ErrorCodes.cancel)
            } else if contentType.map(GRPCContentType.isGRPC) != true {
                let shown = contentType.map { "'\($0)'" } ?? "none"
                finish(stream, RPCStatus(code: .unknown, message: "the response has content-type \(shown), not application/grpc"), resetCode: HTTP2ErrorCodes.cancel)
            } else {
                stream.phase = .receivingMessages
            }
        case .receivingMessages:
            // Trailers (nghttp2 rejects a trailer block without END_STREAM).
            if stream.deframer.hasPartialMessage {
                finish(stream, RPCStatus(code: .internalError, message: "the response ended in the middle of a message"), resetCode: nil)
            } else {
                finish(stream, RPCStatus(receivedIn: headers, httpStatus: stream.httpStatus), resetCode: nil)
            }
        case .finished:
            break
        }
    }

    func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32) {
        // The session already queued RST_STREAM(ENHANCE_YOUR_CALM) for the stream.
        logger.debug("h2.header_list_rejected", metadata: [
            "h2.stream_id": "\(streamID)", "h2.max_header_list_size": "\(configuration.http2.maxHeaderListSize)",
        ])
        guard let stream = streams[streamID] else { return }
        let limit = configuration.http2.maxHeaderListSize
        finish(stream, RPCStatus(code: .resourceExhausted, message: "the server sent a header list larger than the client's limit of \(limit) bytes"), resetCode: nil)
    }

    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        guard let stream = streams[streamID], stream.phase == .receivingMessages else { return }
        stream.deframer.append(data)
        do {
            while let message = try stream.deframer.next() {
                switch stream.call.sink {
                case .unary:
                    guard stream.response == nil else {
                        finish(stream, RPCStatus(code: .internalError, message: "more than one response message for a unary call"), resetCode: HTTP2ErrorCodes.cancel)
                        return
                    }
                    stream.response = message
                case .stream(let buffer):
                    if buffer.yield(message) { overfullStreams.insert(streamID) }
                }
            }
        } catch {
            finish(stream, error, resetCode: HTTP2ErrorCodes.cancel)
        }
    }

    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.responseEnded = true
        // A gRPC response ends with trailers; a DATA frame with END_STREAM means there are none.
        let status = stream.httpStatus.flatMap { $0 == 200 ? nil : RPCStatus(httpStatus: $0) }
            ?? RPCStatus(code: .internalError, message: "the response ended without trailers (no grpc-status)")
        finish(stream, status, resetCode: nil)
    }

    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32) {
        streams[streamID]?.requestEnded = true
    }

    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        finish(stream, RPCStatus(streamClosedWith: errorCode), resetCode: nil)
        markDrained(streamID)
    }

    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let stream = streams[streamID] else { return .end(bytes: 0, trailers: nil) }
        let (count, isLast) = stream.copyRequest(into: buffer)
        return isLast ? .end(bytes: count, trailers: nil) : .bytes(count)
    }

    // MARK: Call lifecycle

    /// Delivers a call's status once, and resets its stream with `resetCode` (or with CANCEL
    /// when the request is still being sent and the stream would otherwise stay open).
    private func finish(_ stream: ClientStream, _ status: RPCStatus, resetCode: UInt32?) {
        guard stream.phase != .finished else { return }
        stream.phase = .finished
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        streamIDs.removeValue(forKey: stream.call.id)
        stream.call.sink.finish(status, response: stream.response)
        stream.response = nil
        if streams[stream.id] != nil {
            if let resetCode {
                session?.resetStream(streamID: stream.id, errorCode: resetCode)
            } else if !stream.requestEnded && stream.responseEnded {
                // The server answered before reading the whole request: stop sending it.
                session?.resetStream(streamID: stream.id, errorCode: HTTP2ErrorCodes.cancel)
            }
        }
        markDrained(stream.id)
    }

    /// Resumes reading once no stream's consumer is behind.
    private func markDrained(_ streamID: Int32) {
        guard overfullStreams.remove(streamID) != nil, overfullStreams.isEmpty, readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// The connection is gone: no new calls; running calls end with UNAVAILABLE.
    private func closed(reason: String) {
        if case .open = state { state = .closed(reason: reason) }
        failAllStreams()
    }

    private func failAllStreams() {
        let open = streams
        streams.removeAll()
        streamIDs.removeAll()
        overfullStreams.removeAll()
        let status = RPCStatus(code: .unavailable, message: closedMessage)
        for stream in open.values.sorted(by: { $0.id < $1.id }) {
            finish(stream, status, resetCode: nil)
        }
    }

    private var closedMessage: String {
        switch state {
        case .open: "the connection is open"
        case .closed(let reason): reason
        }
    }

    // MARK: Output

    private func flushUnlessReading() {
        if !isReading { flush() }
    }

    /// Writes what nghttp2 has to send while the channel can take it; closes the connection
    /// once the session is done or failed.
    private func flush() {
        guard let context, let session, context.channel.isActive else { return }
        do {
            if try session.writeOutput(to: context) == .finished {
                // Both sides are done (GOAWAY exchanged and no stream left).
                closed(reason: "the server closed the connection (GOAWAY)")
                context.close(promise: nil)
            }
        } catch {
            logger.debug("h2.send_failed", metadata: ["h2.error": "\(error)"])
            closed(reason: "the HTTP/2 session failed: \(error)")
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension GRPCClientConnectionHandler: Sendable {}
