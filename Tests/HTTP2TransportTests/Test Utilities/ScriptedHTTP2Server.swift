import HeaderFields
import NGHTTP2
import NIOCore
import NIOPosix
import RPCCore

/// An HTTP/2 server that answers each request with a scripted, possibly broken, gRPC response
/// chosen by the request's `:path`, to test how the client reads responses a correct server
/// never sends.
///
/// Paths (all under `/scripted/`):
/// - `http503`: `:status 503`, text body, no gRPC status;
/// - `html`: `:status 200` with `content-type: text/html`;
/// - `noTrailers`: one message, then END_STREAM on the DATA frame;
/// - `noStatus`: one message, then trailers without `grpc-status`;
/// - `twoMessages`: two messages and status OK (wrong for a unary call);
/// - `noMessage`: status OK without any message;
/// - `hugeHeaders`: response headers of 24 KB, over the client's header list limit;
/// - `refused`, `cancel`, `internalError`: RST_STREAM with that code;
/// - `goAway`: a normal answer, then GOAWAY (NO_ERROR) for the connection;
/// - anything else: echo with status OK.
enum ScriptedHTTP2Server {
    /// Starts the server on 127.0.0.1, port 0; returns the listening channel.
    static func start(group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptedConnectionHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }
}

private final class ScriptedConnectionHandler: ChannelInboundHandler, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: HTTP2Session?
    private var context: ChannelHandlerContext?
    /// Body bytes to send by stream, and the trailers that end them (nil: END_STREAM on DATA).
    private var bodies: [Int32: (bytes: [UInt8], trailers: [HeaderField]?)] = [:]
    private var paths: [Int32: String] = [:]
    private var requests: [Int32: [UInt8]] = [:]
    private var goAwayAfterSend = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = try? HTTP2Session(role: .server, delegate: self)
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        if goAwayAfterSend {
            goAwayAfterSend = false
            session?.submitGoAway(errorCode: 0)
            flush()
        }
    }

    private func flush() {
        guard let context, let session else { return }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        _ = try? session.send(maxBytes: .max) { buffer.writeBytes($0) }
        if buffer.readableBytes > 0 { context.writeAndFlush(NIOAny(buffer), promise: nil) }
    }

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool) {
        paths[streamID] = headers.first { $0.name == ":path" }?.value ?? ""
        if endStream { respond(session, streamID) }
    }

    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        requests[streamID, default: []].append(contentsOf: data)
    }

    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32) {
        respond(session, streamID)
    }

    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32) {}

    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32) {
        bodies[streamID] = nil
        paths[streamID] = nil
        requests[streamID] = nil
    }

    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        guard let body = bodies[streamID] else { return .end(bytes: 0, trailers: nil) }
        let count = min(buffer.count, body.bytes.count)
        buffer.copyBytes(from: body.bytes.prefix(count))
        let rest = Array(body.bytes.dropFirst(count))
        bodies[streamID] = (rest, body.trailers)
        return rest.isEmpty ? .end(bytes: count, trailers: body.trailers) : .bytes(count)
    }

    private func respond(_ session: HTTP2Session, _ streamID: Int32) {
        let path = paths[streamID] ?? ""
        var request = requests[streamID] ?? []
        request.removeFirst(min(5, request.count))
        let grpcHead = [HeaderField(name: ":status", value: "200"), HeaderField(name: "content-type", value: "application/grpc")]
        let ok = [HeaderField(name: "grpc-status", value: "0")]
        func framed(_ messages: [UInt8]...) -> [UInt8] {
            var bytes: [UInt8] = []
            for message in messages { GRPCMessageFramer.frame(message, into: &bytes) }
            return bytes
        }
        func answer(_ head: [HeaderField], _ body: [UInt8], _ trailers: [HeaderField]?) {
            bodies[streamID] = (body, trailers)
            try? session.submitResponse(streamID: streamID, headers: head, hasBody: true)
        }
        switch path {
        case "/scripted/http503":
            answer([HeaderField(name: ":status", value: "503"), HeaderField(name: "content-type", value: "text/plain")], Array("busy".utf8), nil)
        case "/scripted/html":
            answer([HeaderField(name: ":status", value: "200"), HeaderField(name: "content-type", value: "text/html")], Array("<p>hi</p>".utf8), nil)
        case "/scripted/noTrailers":
            answer(grpcHead, framed(request), nil)
        case "/scripted/noStatus":
            answer(grpcHead, framed(request), [HeaderField(name: "x-other", value: "1")])
        case "/scripted/twoMessages":
            answer(grpcHead, framed(request, request), ok)
        case "/scripted/noMessage":
            answer(grpcHead, [], ok)
        case "/scripted/hugeHeaders":
            let large = (0..<24).map { HeaderField(name: "x-large-\($0)", value: String(repeating: "v", count: 1000)) }
            answer(grpcHead + large, framed(request), ok)
        case "/scripted/refused":
            session.resetStream(streamID: streamID, errorCode: 7)
        case "/scripted/cancel":
            session.resetStream(streamID: streamID, errorCode: 8)
        case "/scripted/internalError":
            session.resetStream(streamID: streamID, errorCode: 2)
        case "/scripted/goAway":
            answer(grpcHead, framed(request), ok)
            goAwayAfterSend = true
        default:
            answer(grpcHead, framed(request), ok)
        }
    }
}
