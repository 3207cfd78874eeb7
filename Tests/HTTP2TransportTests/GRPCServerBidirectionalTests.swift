import HTTP2Transport
import RPCCore
import Testing

/// Client-streaming and bidirectional calls, driven with raw frames (the project's client has
/// no request streams).
@Suite("Request streams over real sockets")
struct GRPCServerBidirectionalTests {
    static func framed(_ message: [UInt8]) -> [UInt8] {
        [0, 0, 0, 0, UInt8(message.count)] + message
    }

    static func responseBody(_ connection: RawHTTP2Connection, _ id: Int32) -> [UInt8] {
        connection.frames.filter { $0.streamID == id && $0.type == RawFrame.data }.flatMap(\.payload)
    }

    static func ended(_ connection: RawHTTP2Connection, _ id: Int32) -> Bool {
        connection.frames.contains { $0.streamID == id && $0.type == RawFrame.headers && $0.flags & RawFrame.endStream != 0 }
    }

    @Test("each request is answered as it arrives, before the client finished sending; messages split at every byte")
    func bidirectionalEcho() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1,
                                               payload: RawHPACK.grpcRequest(path: "/test.Bidi/Echo")))
            try await connection.send(RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: Self.framed([1, 2, 3])))
            #expect(await eventually { Self.responseBody(connection, 1) == Self.framed([1, 2, 3]) })
            // The second message one byte per DATA frame, the third and fourth in one frame.
            for byte in Self.framed([4, 5]) {
                try await connection.send(RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: [byte]))
            }
            try await connection.send(RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 1,
                                               payload: Self.framed([6]) + Self.framed([7, 8])))
            #expect(await eventually { Self.ended(connection, 1) })
            #expect(Self.responseBody(connection, 1) == Self.framed([1, 2, 3]) + Self.framed([4, 5]) + Self.framed([6]) + Self.framed([7, 8]))
            #expect(server.server.statistics.snapshot[.ok] == 1)
            await connection.close()
        }
    }

    @Test("a client-streaming call answers once, after the client's end")
    func clientStreamingSum() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1, payload: RawHPACK.grpcRequest(path: "/test.Bidi/Sum")),
                RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: Self.framed([1, 2, 3])),
                RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 1, payload: Self.framed([4, 5]))
            )
            #expect(await eventually { Self.ended(connection, 1) })
            #expect(Self.responseBody(connection, 1) == Self.framed([0, 0, 0, 5]))
            await connection.close()
        }
    }

    @Test("a handler's error ends the call after the answers already sent; a request cut mid-message is INTERNAL")
    func errors() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            try await connection.send(
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1, payload: RawHPACK.grpcRequest(path: "/test.Bidi/Reject")),
                RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: Self.framed([1]))
            )
            #expect(await eventually { Self.responseBody(connection, 1) == Self.framed([1]) })
            try await connection.send(
                RawFrame(type: RawFrame.data, flags: 0, streamID: 1, payload: Self.framed([2])),
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 3, payload: RawHPACK.grpcRequest(path: "/test.Bidi/Echo")),
                RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 3, payload: Array(Self.framed([9, 9]).prefix(6)))
            )
            #expect(await eventually { Self.ended(connection, 1) && Self.ended(connection, 3) })
            #expect(Self.responseBody(connection, 1) == Self.framed([1]))
            #expect(server.server.statistics.snapshot[.invalidArgument] == 1)
            #expect(server.server.statistics.snapshot[.internalError] == 1)
            // The server stops the upload of the call it ended.
            #expect(await eventually { connection.frames.contains { $0.streamID == 1 && $0.type == RawFrame.rstStream } })
            await connection.close()
        }
    }
}
