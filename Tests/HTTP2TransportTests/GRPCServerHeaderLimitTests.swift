import HTTP2Transport
import RPCCore
import Testing

/// The server's answer to header lists over its SETTINGS_MAX_HEADER_LIST_SIZE (16 KiB), which
/// libnghttp2 1.52 advertises but does not enforce on its own.
@Suite("Header lists over the server's limit, over real sockets")
struct GRPCServerHeaderLimitTests {
    static let echoPath = "/test.Echo/Unary"
    /// The gRPC framing of the echoed message `[0x2A, 0x2B]`: what the server answers with.
    static let framedEcho: [UInt8] = [0, 0, 0, 0, 2, 0x2A, 0x2B]

    @Test("an HPACK bomb and oversized headers reset only their streams; others, before and after, complete")
    func oversizeStreamsAreReset() async throws {
        try await withTestServer { server in
            let connection = try await RawHTTP2Connection.connect(port: server.port, group: server.group)
            defer { Task { await connection.close() } }
            let value = String(repeating: "a", count: 4000)
            // Stream 1 opens before the attack and sends its message after it.
            let open = RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 1, payload: RawHPACK.grpcRequest(path: Self.echoPath))
            // Stream 3: ~14 KB on the wire; decoded, 10,001 fields of 4 KB (40 MB).
            let bomb = RawHPACK.grpcRequest(path: Self.echoPath) + RawHPACK.indexed("x-bomb", value)
                + [UInt8](repeating: RawHPACK.newestEntry, count: 10_000)
            // Stream 5: 24 distinct 1000-byte headers (24 KB), spread over HEADERS and CONTINUATION.
            let large = RawHPACK.grpcRequest(path: Self.echoPath)
                + (0..<24).flatMap { RawHPACK.literal("x-large-\($0)", String(repeating: "v", count: 1000)) }
            let split = large.count / 2
            try await connection.send(
                open,
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders | RawFrame.endStream, streamID: 3, payload: bomb),
                RawFrame(type: RawFrame.headers, flags: RawFrame.endStream, streamID: 5, payload: Array(large[..<split])),
                RawFrame(type: RawFrame.continuation, flags: RawFrame.endHeaders, streamID: 5, payload: Array(large[split...])),
                RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 1, payload: Self.framedEcho),
                // Stream 7 refers once to the entry the bomb indexed (4 KB: within the limit),
                // which works only if the server's HPACK table survived the rejected block.
                RawFrame(type: RawFrame.headers, flags: RawFrame.endHeaders, streamID: 7,
                         payload: RawHPACK.grpcRequest(path: Self.echoPath) + [RawHPACK.newestEntry]),
                RawFrame(type: RawFrame.data, flags: RawFrame.endStream, streamID: 7, payload: Self.framedEcho)
            )

            let answered = await eventually {
                let frames = connection.frames
                return [1, 7].allSatisfy { id in frames.contains { $0.streamID == id && $0.type == RawFrame.headers && $0.flags & RawFrame.endStream != 0 } }
                    && [3, 5].allSatisfy { id in frames.contains { $0.streamID == id && $0.type == RawFrame.rstStream } }
            }
            #expect(answered, "frames: \(connection.frames.map { "\($0.type)@\($0.streamID)" })")
            let frames = connection.frames
            for id: Int32 in [3, 5] {
                let reset = frames.first { $0.streamID == id && $0.type == RawFrame.rstStream }
                #expect(reset?.errorCode == 0xB, "stream \(id): RST_STREAM(ENHANCE_YOUR_CALM)")
                #expect(!frames.contains { $0.streamID == id && $0.type == RawFrame.headers }, "stream \(id) got no response")
            }
            for id: Int32 in [1, 7] {
                let body = frames.filter { $0.streamID == id && $0.type == RawFrame.data }.flatMap(\.payload)
                #expect(body == Self.framedEcho, "stream \(id) echoed its message")
            }
            #expect(!frames.contains { $0.type == RawFrame.goAway })
            #expect(!connection.isClosed)

            // The server goes on serving other connections too.
            try await withClient(server) { client in
                let reply = try await client.unary(path: Self.echoPath, request: [9])
                #expect(reply == [9])
            }
        }
    }

    @Test("the gRPC client sees RESOURCE_EXHAUSTED; its connection and running stream go on")
    func clientSeesResourceExhausted() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let stream = client.serverStreaming(path: "/test.Stream/Pending", request: StreamRequest(count: 20).bytes)
                let reader = Task {
                    var count = 0
                    for try await _ in stream { count += 1 }
                    return count
                }
                let metadata = (0..<24).map { ("x-large-\($0)", String(repeating: "v", count: 1000)) }
                let status = await failure { _ = try await client.unary(path: Self.echoPath, request: [1], metadata: metadata) }
                #expect(status?.code == .resourceExhausted, "\(String(describing: status))")

                // Within the limit, the same metadata names work on the same connection.
                let fitting = Array(metadata.prefix(4))
                let reply = try await client.unary(path: Self.echoPath, request: [2], metadata: fitting)
                #expect(reply == [2])
                let streamed = try await reader.value
                #expect(streamed == 20)
            }
        }
    }
}
