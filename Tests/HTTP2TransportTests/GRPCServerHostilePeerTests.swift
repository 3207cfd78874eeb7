import HTTP2Transport
import RPCCore
import Testing

/// Frames stock clients never send, over real sockets; each time the server goes on serving
/// other connections.
@Suite("Hostile peers, over real sockets")
struct GRPCServerHostilePeerTests {
    static let framedEcho: [UInt8] = [0, 0, 0, 0, 2, 0x2A, 0x2B]

    /// Whether the client received the trailers (HEADERS with END_STREAM) of every stream in `ids`.
    static func allEnded(_ ids: [Int32], in frames: [RawFrame]) -> Bool {
        let ended = Set(frames.filter { $0.type == RawFrame.headers && $0.flags & RawFrame.endStream != 0 }.map(\.streamID))
        return ids.allSatisfy(ended.contains)
    }

    static func echoWorks(_ server: TestServer) async throws -> Bool {
        try await withClient(server) { client in
            try await client.unary(path: "/test.Echo/Unary", request: [7]) == [7]
        }
    }

    static func call(_ streamID: Int32) -> [RawFrame] {
        [
            RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: streamID, payload: RawHPACK.grpcRequest(path: "/test.Echo/Unary")),
            RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: streamID, payload: framedEcho),
        ]
    }

    @Test("HEADERS on a never-opened stream id below an opened one: GOAWAY(PROTOCOL_ERROR) naming the last stream")
    func headersOnLowerIdleStream() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(Self.call(5).flatMap(\.bytes))
            try await connection.send(Self.call(3).flatMap(\.bytes))
            #expect(await eventually { connection.isClosed })
            let goAway = connection.frames.first { $0.type == RawFrame.goAway }
            #expect(goAway.map { Array($0.payload[0..<8]) } == [0, 0, 0, 5, 0, 0, 0, 1])
            #expect(!connection.frames.contains { $0.streamID == 3 })
            #expect(try await Self.echoWorks(server))
        }
    }

    @Test("a header block split into HEADERS and CONTINUATION at every byte boundary is decoded whole")
    func headerFragmentsAtEveryBoundary() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            let block = RawHPACK.grpcRequest(path: "/test.Echo/Unary") + RawHPACK.literal("x-test", "fragmented")
            var ids: [Int32] = []
            for split in 1..<block.count {
                let id = Int32(2 * split + 1)
                ids.append(id)
                try await connection.send(
                    RawFrame(type: RawFrame.headers, flags: 0, streamID: id, payload: Array(block[..<split])),
                    RawFrame(type: RawFrame.continuation, flags: RawFrame.endHeaders, streamID: id, payload: Array(block[split...])),
                    RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: id, payload: Self.framedEcho)
                )
            }
            #expect(await eventually { server.server.statistics.snapshot[.ok] == ids.count })
            // The server counts a call when it ends it; its last frames may still be on the way.
            #expect(await eventually { Self.allEnded(ids, in: connection.frames) })
            let frames = connection.frames
            for id in ids {
                let body = frames.filter { $0.streamID == id && $0.type == RawFrame.data }.flatMap(\.payload)
                #expect(body == Self.framedEcho, "stream \(id)")
            }
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test("messages split at every byte boundary across DATA frames")
    func messageFragmentsAtEveryBoundary() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            let message: [UInt8] = [0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6]
            var ids: [Int32] = []
            for split in 1..<message.count {
                let id = Int32(2 * split + 1)
                ids.append(id)
                try await connection.send(
                    RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: id, payload: RawHPACK.grpcRequest(path: "/test.Echo/Unary")),
                    RawFrame(type: RawFrame.data, flags: 0, streamID: id, payload: Array(message[..<split])),
                    RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: id, payload: Array(message[split...]))
                )
            }
            #expect(await eventually { server.server.statistics.snapshot[.ok] == ids.count })
            // The server counts a call when it ends it; its last frames may still be on the way.
            #expect(await eventually { Self.allEnded(ids, in: connection.frames) })
            for id in ids {
                let body = connection.frames.filter { $0.streamID == id && $0.type == RawFrame.data }.flatMap(\.payload)
                #expect(body == message, "stream \(id)")
            }
            await connection.close()
        }
    }
}
