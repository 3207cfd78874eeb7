@testable import HTTP2Transport
import NIOCore
import NIOEmbedded
import RPCCore
import Testing

/// The connection handler driven on an `EmbeddedChannel`: its clock only moves when the test
/// says, so deadlines are checked to the millisecond without waiting on a real one.
@Suite struct GRPCServerConnectionHandlerTests {
    /// A connection with its handler, the bytes the server wrote, and the budget it charges.
    final class Connection {
        let channel = EmbeddedChannel()
        let budget = BufferBudget(limit: 8 << 20)
        private var output: [UInt8] = []

        init(initialWindowSize: UInt32? = nil) throws {
            var configuration = GRPCServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.idleTimeout = nil
            configuration.keepaliveInterval = nil
            let handler = GRPCServerConnectionHandler(
                router: makeTestRouter(probes: TestProbes()), configuration: configuration,
                statistics: CallStatistics(), budget: budget, logger: quietLogger
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            var settings: [UInt8] = []
            if let initialWindowSize {
                settings = [0, 4] + (0..<4).map { UInt8(truncatingIfNeeded: initialWindowSize >> (24 - 8 * $0)) }
            }
            try send(RawHTTP2Connection.preface + RawFrame(type: RawFrame.settings, flags: 0, streamID: 0, payload: settings).bytes)
        }

        func send(_ bytes: [UInt8]) throws {
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try channel.writeInbound(buffer)
            channel.embeddedEventLoop.run()
            collect()
        }

        /// Opens stream 1 to a `test.Stream` method with `grpc-timeout: 200m`.
        func startStream(method: String, request: StreamRequest) throws {
            let block = RawHPACK.grpcRequest(path: "/test.Stream/\(method)") + RawHPACK.literal("grpc-timeout", "200m")
            try send(
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1, payload: block).bytes
                    + RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 1, payload: framed(request.bytes)).bytes
            )
        }

        func advance(by amount: TimeAmount) {
            channel.embeddedEventLoop.advanceTime(by: amount)
            collect()
        }

        /// The frames the server sent on stream 1 since the connection opened.
        var streamFrames: [RawFrame] {
            var frames: [RawFrame] = []
            var index = 0
            while index + 9 <= output.count {
                let length = Int(output[index]) << 16 | Int(output[index + 1]) << 8 | Int(output[index + 2])
                let streamID = output[(index + 5)..<(index + 9)].reduce(Int32(0)) { $0 << 8 | Int32($1) } & 0x7FFF_FFFF
                let end = min(index + 9 + length, output.count)
                if streamID == 1 {
                    frames.append(RawFrame(type: output[index + 3], flags: output[index + 4], streamID: streamID, payload: Array(output[(index + 9)..<end])))
                }
                index += 9 + length
            }
            return frames
        }

        private func collect() {
            while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
                output += buffer.readableBytesView
            }
        }
    }

    @Test("a deadline resets a stream the client grants no window, at the deadline and not before, and frees its budget")
    func deadlineWithoutWindow() throws {
        let connection = try Connection(initialWindowSize: 0)
        try connection.startStream(method: "Infinite", request: StreamRequest(size: 1000, total: 1 << 20))
        #expect(connection.budget.bytesInUse > 0)
        connection.advance(by: .milliseconds(199))
        #expect(!connection.streamFrames.contains { $0.type == RawFrame.rstStream })
        connection.advance(by: .milliseconds(1))
        #expect(connection.streamFrames.last?.errorCode == HTTP2ErrorCodes.cancel)
        #expect(connection.budget.bytesInUse == 0)
        _ = try connection.channel.finish()
    }

    @Test("a deadline with window to spare ends the stream with DEADLINE_EXCEEDED trailers at once")
    func deadlineWithWindow() throws {
        let connection = try Connection()
        try connection.startStream(method: "Stall", request: StreamRequest(count: 2, size: 8))
        connection.advance(by: .milliseconds(200))
        let last = try #require(connection.streamFrames.last)
        #expect(last.type == RawFrame.headers)
        #expect(last.flags & RawFrame.endStream != 0)
        #expect(!connection.streamFrames.contains { $0.type == RawFrame.rstStream })
        connection.advance(by: GRPCServerConnectionHandler.deadlineGrace)
        #expect(!connection.streamFrames.contains { $0.type == RawFrame.rstStream }, "the trailers left: no reset after the grace")
        #expect(connection.budget.bytesInUse == 0)
        _ = try connection.channel.finish()
    }

    @Test("closing a connection with partial requests on many streams gives the whole budget back")
    func budgetReturnsOnClose() throws {
        let connection = try Connection()
        for stream in stride(from: Int32(1), through: 99, by: 2) {
            let block = RawHPACK.grpcRequest(path: "/test.Echo/Unary")
            try connection.send(
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: stream, payload: block).bytes
                    + RawFrame(type: RawFrame.data, flags: 0, streamID: stream, payload: [0, 0, 1, 0, 0] + Array(repeating: 7, count: 5000)).bytes
            )
        }
        #expect(connection.budget.bytesInUse > 50 * 5000)
        _ = try connection.channel.finish()
        #expect(connection.budget.bytesInUse == 0)
    }
}
