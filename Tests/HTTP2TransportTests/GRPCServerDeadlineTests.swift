import HTTP2Transport
import RPCCore
import Testing

/// `grpc-timeout` enforced by the server, seen from raw frames (the project's client enforces its
/// deadlines itself, which would hide the server's answer).
@Suite("Deadlines enforced by the server, over real sockets")
struct GRPCServerDeadlineTests {
    static let framedEcho: [UInt8] = [0, 0, 0, 0, 2, 0x2A, 0x2B]

    static func request(_ path: String, timeout: String, streamID: Int32, body: [UInt8]) -> [RawFrame] {
        [
            RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: streamID,
                     payload: RawHPACK.grpcRequest(path: path) + RawHPACK.literal("grpc-timeout", timeout)),
            RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: streamID, payload: body),
        ]
    }

    /// Whether the server sent a HEADERS frame with END_STREAM on `streamID`: the call's end.
    static func ended(_ connection: RawHTTP2Connection, _ streamID: Int32) -> Bool {
        connection.frames.contains { $0.streamID == streamID && $0.type == RawFrame.headers && $0.flags & RawFrame.endStream != 0 }
    }

    @Test("a unary call whose handler never answers ends DEADLINE_EXCEEDED at its deadline")
    func unaryDeadline() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(Self.request("/test.Echo/Never", timeout: "100m", streamID: 1, body: Self.framedEcho).flatMap(\.bytes))
            #expect(await eventually { Self.ended(connection, 1) })
            #expect(server.server.statistics.snapshot[.deadlineExceeded] == 1)
            #expect(!connection.frames.contains { $0.streamID == 1 && $0.type == RawFrame.data })
            await connection.close()
        }
    }

    @Test("a request that never completes ends DEADLINE_EXCEEDED at its deadline")
    func incompleteRequestDeadline() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            // Half a message and no END_STREAM.
            try await connection.send(
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1,
                         payload: RawHPACK.grpcRequest(path: "/test.Echo/Unary") + RawHPACK.literal("grpc-timeout", "100000u")),
                RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: Array(Self.framedEcho.prefix(4)))
            )
            #expect(await eventually { Self.ended(connection, 1) })
            #expect(server.server.statistics.snapshot[.deadlineExceeded] == 1)
            // The server stops the upload it no longer reads.
            #expect(await eventually { connection.frames.contains { $0.streamID == 1 && $0.errorCode == HTTP2ErrorCode.noError } })
            await connection.close()
        }
    }

    @Test("a stream past its deadline ends DEADLINE_EXCEEDED after the messages already sent; its producer is cancelled")
    func streamingDeadline() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(Self.request("/test.Stream/Stall", timeout: "200m", streamID: 1, body: [0, 0, 0, 0, 12] + StreamRequest(count: 5).bytes).flatMap(\.bytes))
            #expect(await eventually { Self.ended(connection, 1) })
            let body = connection.frames.filter { $0.streamID == 1 && $0.type == RawFrame.data }.flatMap(\.payload)
            #expect(body.count == 5 * 13, "five 8-byte messages, each with its 5-byte prefix")
            #expect(server.server.statistics.snapshot[.deadlineExceeded] == 1)
            #expect(server.probes.cancelledProducers.load(ordering: .relaxed) == 1)
            await connection.close()
        }
    }

    @Test("a call that ends before its deadline is not touched by it")
    func deadlineAfterCompletion() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(Self.request("/test.Echo/Unary", timeout: "50m", streamID: 1, body: Self.framedEcho).flatMap(\.bytes))
            #expect(await eventually { Self.ended(connection, 1) })
            try await Task.sleep(for: .milliseconds(150))
            #expect(server.server.statistics.snapshot == [.ok: 1])
            await connection.close()
        }
    }
}

/// HTTP/2 error codes as the tests compare them.
enum HTTP2ErrorCode {
    static let noError: UInt32 = 0
}
