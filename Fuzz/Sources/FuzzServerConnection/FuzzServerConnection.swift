@testable import GRPCHealth
@testable import HTTP2Transport
import Logging
import NIOCore
import NIOEmbedded
@testable import RPCCore
import Synchronization

/// Fuzzes a whole server connection: the client preface, then the input as the peer's bytes,
/// in pieces whose size the first input byte picks, into the real connection handler (nghttp2
/// and every callback) on an `EmbeddedChannel`, with unary, server-streaming, bidirectional and
/// health methods behind it. Timers (deadlines, idle, keepalive) are run by advancing the
/// embedded clock. The server's output is drained and dropped.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let pieceSize = Int(data[0]) * 4 + 1
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let channel = EmbeddedChannel()
    let handler = GRPCServerConnectionHandler(
        router: Fixture.router,
        configuration: Fixture.configuration,
        statistics: CallStatistics(),
        budget: Fixture.budget,
        logger: Fixture.logger
    )
    do {
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try feed(channel, Fixture.preface)
        var offset = 0
        while offset < input.count, channel.isActive {
            let end = min(offset + pieceSize, input.count)
            try feed(channel, Array(input[offset..<end]))
            offset = end
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        drain(channel)
    } catch {
        // The handler closed the channel (a protocol error): that is an allowed outcome.
    }
    _ = try? channel.finish()
    // Every stream's charge comes back when its connection closes; a leak would slowly refuse
    // all traffic.
    precondition(Fixture.budget.bytesInUse == 0, "the buffer budget leaked \(Fixture.budget.bytesInUse) bytes")
    return 0
}

private func feed(_ channel: EmbeddedChannel, _ bytes: [UInt8]) throws {
    var buffer = channel.allocator.buffer(capacity: bytes.count)
    buffer.writeBytes(bytes)
    try channel.writeInbound(buffer)
    channel.embeddedEventLoop.run()
    drain(channel)
}

private func drain(_ channel: EmbeddedChannel) {
    while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
}

/// What every run shares.
private enum Fixture {
    /// Small enough that inputs can exhaust it.
    static let budget = BufferBudget(limit: 1 << 20)

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]

    static let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    static let configuration = GRPCServerConfiguration(
        host: "127.0.0.1", port: 0, maxReceiveMessageSize: 4096,
        idleTimeout: .seconds(1), keepaliveInterval: .seconds(1), keepaliveTimeout: .seconds(1)
    )

    static let router: RPCRouter = {
        var router = RPCRouter()
        router.register(service: "f.S", method: "Unary", .unary { request, _, responder in
            responder.succeed(request)
        })
        router.register(service: "f.S", method: "Stream", .serverStreaming { request, _, _ in
            CountingProducer(count: Int(request.first ?? 0))
        })
        router.register(service: "f.S", method: "Bidi", .bidirectionalStreaming { _, waker in
            EchoHandler(waker: waker)
        })
        HealthService().register(in: &router)
        return router
    }()
}

/// Streams `count` small messages.
private final class CountingProducer: ServerStreamProducer {
    private let remaining: Mutex<Int>

    init(count: Int) {
        remaining = Mutex(count)
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        remaining.withLock { remaining in
            while remaining > 0, !output.isFull {
                output.append(message: [UInt8](repeating: 7, count: 100))
                remaining -= 1
            }
            return remaining == 0 ? .finished(.ok) : .more
        }
    }

    func cancel() {}
}

/// Answers each request with itself.
private final class EchoHandler: RequestStreamHandler {
    private let waker: StreamWaker
    private let state = Mutex((queue: [[UInt8]](), ended: false))

    init(waker: StreamWaker) {
        self.waker = waker
    }

    func receive(_ message: [UInt8]) throws(RPCStatus) {
        state.withLock { $0.queue.append(message) }
        waker()
    }

    func requestsEnded() {
        state.withLock { $0.ended = true }
        waker()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        state.withLock { state in
            for message in state.queue { output.append(message: message) }
            state.queue.removeAll()
            return state.ended ? .finished(.ok) : .pending
        }
    }

    func cancel() {}
}
