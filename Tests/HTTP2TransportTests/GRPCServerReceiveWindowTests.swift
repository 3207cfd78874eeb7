import HTTP2Transport
import RPCCore
import Testing

/// What a peer can make the server buffer: request bytes reopen the connection's flow-control
/// window only once the server is done with them, so many streams of partial messages exhaust
/// the peer's window instead of the server's memory.
@Suite("Request bytes buffered per connection, over real sockets")
struct GRPCServerReceiveWindowTests {
    static let windowUpdate: UInt8 = 0x8
    static let ping: UInt8 = 0x6

    /// Sends a PING and waits for its ACK: everything sent before it was processed.
    static func roundTrip(_ connection: RawHTTP2Connection, _ marker: UInt8) async throws -> Bool {
        let payload = [UInt8](repeating: marker, count: 8)
        try await connection.send(RawFrame(type: ping, flags: 0, streamID: 0, payload: payload))
        return await eventually { connection.frames.contains { $0.type == ping && $0.flags & 1 != 0 && $0.payload == payload } }
    }

    static func connectionWindowUpdates(_ connection: RawHTTP2Connection) -> Int {
        connection.frames.filter { $0.type == windowUpdate && $0.streamID == 0 }.count
    }

    @Test("partial messages on many streams hold the connection window until the streams go away")
    func partialMessagesHoldTheWindow() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            // Acknowledge the server's SETTINGS: its 1 MiB stream windows apply from then on.
            try await connection.send(RawFrame(type: RawFrame.settings, flags: 1, streamID: 0, payload: []))
            let processed1 = try await Self.roundTrip(connection, 1)
            #expect(processed1)
            // The server opened its 16 MiB connection window once, at the start.
            let initialUpdates = Self.connectionWindowUpdates(connection)
            #expect(initialUpdates == 1)

            // 20 streams, each 800 KiB into a message that declares 4 MiB - 1: 15.6 MiB in all,
            // within the connection window and each stream's 1 MiB window.
            let streamIDs = (0..<20).map { Int32(2 * $0 + 1) }
            let perStream = 800 << 10
            for id in streamIDs {
                var frames = [RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: id,
                                       payload: RawHPACK.grpcRequest(path: "/test.Echo/Unary"))]
                let body: [UInt8] = [0, 0x00, 0x3F, 0xFF, 0xFF] + [UInt8](repeating: 7, count: perStream - 5)
                var offset = 0
                while offset < body.count {
                    let end = min(offset + 16_384, body.count)
                    frames.append(RawFrame(type: RawFrame.data, flags: 0, streamID: id, payload: Array(body[offset..<end])))
                    offset = end
                }
                try await connection.send(frames.flatMap(\.bytes))
            }
            let processed2 = try await Self.roundTrip(connection, 2)
            #expect(processed2)
            // libnghttp2 on its own would have reopened the window after 8 MiB.
            #expect(Self.connectionWindowUpdates(connection) == initialUpdates)
            #expect(!connection.frames.contains { $0.type == RawFrame.rstStream }, "no stream overran its window")

            // Cancelling 11 streams (8.6 MiB, over half the window) reopens the window.
            try await connection.send(streamIDs.prefix(11).flatMap {
                RawFrame(type: RawFrame.rstStream, flags: 0, streamID: $0, payload: [0, 0, 0, 8]).bytes
            })
            let processed3 = try await Self.roundTrip(connection, 3)
            #expect(processed3)
            #expect(await eventually { Self.connectionWindowUpdates(connection) > initialUpdates })
            #expect(!connection.frames.contains { $0.type == RawFrame.goAway })

            // Other connections are served meanwhile.
            try await withClient(server) { client in
                let echoed = try await client.unary(path: "/test.Echo/Unary", request: [1, 2, 3])
                #expect(echoed == [1, 2, 3])
            }
            await connection.close()
        }
    }

    @Test("the window of a completed request reopens, so one connection can send far more than its window")
    func completedRequestsReopenTheWindow() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let message = [UInt8](repeating: 9, count: 1 << 20)
                // 40 MiB over one connection whose window is 16 MiB.
                for _ in 0..<40 {
                    let echoed = try await client.unary(path: "/test.Echo/Unary", request: message)
                    #expect(echoed.count == message.count)
                }
            }
        }
    }
}
