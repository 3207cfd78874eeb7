import HTTP2Transport
import RPCCore
import Testing

/// Graceful shutdown: two GOAWAYs, calls in flight finish, streams end UNAVAILABLE, the grace
/// period bounds it all.
@Suite("Graceful shutdown, over real sockets")
struct GRPCServerShutdownTests {
    static let framedEcho: [UInt8] = [0, 0, 0, 0, 2, 0x2A, 0x2B]

    static func call(_ path: String, streamID: Int32, body: [UInt8]) -> [UInt8] {
        [
            RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: streamID, payload: RawHPACK.grpcRequest(path: path)),
            RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: streamID, payload: body),
        ].flatMap(\.bytes)
    }

    /// The (last stream id, error code) of each GOAWAY received.
    static func goAways(_ connection: RawHTTP2Connection) -> [(Int32, UInt32)] {
        connection.frames.filter { $0.type == RawFrame.goAway && $0.payload.count >= 8 }.map { frame in
            (Int32(bitPattern: frame.payload[0..<4].reduce(0) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF),
             frame.payload[4..<8].reduce(0) { $0 << 8 | UInt32($1) })
        }
    }

    @Test("a shutdown notice, then GOAWAY with the last stream; the unary call in flight finishes; the connection closes")
    func twoPhaseGoAway() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(RawFrame(type: RawFrame.settings, flags: 1, streamID: 0, payload: []))
            try await connection.send(Self.call("/test.Echo/Slow", streamID: 1, body: Self.framedEcho))
            try await connection.send(Self.call("/test.Echo/Slow", streamID: 3, body: Self.framedEcho))
            #expect(await eventually { server.server.connectionCount == 1 })
            try await Task.sleep(for: .milliseconds(50))

            await server.server.beginShutdown()
            // The raw client answers no PING: the final GOAWAY comes after the fallback delay.
            #expect(await eventually { Self.goAways(connection).count == 2 })
            let goAways = Self.goAways(connection)
            #expect(goAways.first?.0 == Int32.max && goAways.first?.1 == 0, "a shutdown notice first")
            #expect(goAways.last?.0 == 3 && goAways.last?.1 == 0, "then GOAWAY(NO_ERROR) naming stream 3")

            await server.server.finishShutdown(gracePeriod: .seconds(10))
            for id: Int32 in [1, 3] {
                let body = connection.frames.filter { $0.streamID == id && $0.type == RawFrame.data }.flatMap(\.payload)
                #expect(body == Self.framedEcho, "stream \(id) finished")
            }
            #expect(await eventually { connection.isClosed })
            #expect(server.server.connectionCount == 0)
            // No new connections.
            await #expect(throws: (any Error).self) {
                let late = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
                try await late.send(Self.call("/test.Echo/Unary", streamID: 1, body: Self.framedEcho))
                try await Task.sleep(for: .milliseconds(200))
                if late.isClosed { throw RPCStatus(code: .unavailable, message: "closed") }
            }
        }
    }

    @Test("a stream still open ends UNAVAILABLE after the messages it had; its producer is cancelled")
    func streamsEndUnavailable() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let stream = client.serverStreaming(path: "/test.Stream/Stall", request: StreamRequest(count: 3).bytes)
                var received = 0
                let status = await failure {
                    for try await _ in stream {
                        received += 1
                        if received == 3 { await server.server.finishShutdown(gracePeriod: .seconds(10)) }
                    }
                }
                #expect(received == 3)
                #expect(status?.code == .unavailable)
                #expect(server.probes.cancelledProducers.load(ordering: .relaxed) == 1)
            }
        }
    }

    @Test("connections still busy when the grace period ends are closed")
    func gracePeriodBoundsTheShutdown() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(Self.call("/test.Echo/Never", streamID: 1, body: Self.framedEcho))
            #expect(await eventually { server.server.connectionCount == 1 })
            await server.server.finishShutdown(gracePeriod: .milliseconds(300))
            #expect(await eventually { connection.isClosed })
            #expect(server.server.connectionCount == 0)
        }
    }

    @Test("connections over the limit are closed at once; the others are served")
    func maxConnections() async throws {
        try await withTestServer(maxConnections: 2) { server in
            let first = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            let second = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            #expect(await eventually { server.server.connectionCount == 2 })
            // The server closes the third at once: sending the preface fails, or it is closed soon after.
            if let third = try? await RawHTTP2Connection.connect(port: server.port, group: server.group) {
                #expect(await eventually { third.isClosed })
            }
            #expect(server.server.connectionCount == 2)
            #expect(!first.isClosed && !second.isClosed)
            await first.close()
            #expect(await eventually { server.server.connectionCount == 1 })
            try await withClient(server) { client in
                let echoed = try await client.unary(path: "/test.Echo/Unary", request: [4, 2])
                #expect(echoed == [4, 2])
            }
            await second.close()
        }
    }
}
