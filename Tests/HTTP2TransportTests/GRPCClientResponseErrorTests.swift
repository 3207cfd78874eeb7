import HTTP2Transport
import NIOCore
import NIOPosix
import RPCCore
import Testing

@Suite("The client against broken gRPC responses (scripted HTTP/2 server)")
struct GRPCClientResponseErrorTests {
    static let cases: [(path: String, code: RPCStatus.Code)] = [
        ("/scripted/http503", .unavailable),
        ("/scripted/html", .unknown),
        ("/scripted/noTrailers", .internalError),
        ("/scripted/noStatus", .internalError),
        ("/scripted/twoMessages", .internalError),
        ("/scripted/noMessage", .internalError),
        ("/scripted/hugeHeaders", .resourceExhausted),
        ("/scripted/refused", .unavailable),
        ("/scripted/cancel", .cancelled),
        ("/scripted/internalError", .internalError),
    ]

    @Test("each broken response maps to the status stock clients report", arguments: 0..<cases.count)
    func brokenResponse(index: Int) async throws {
        let (path, code) = Self.cases[index]
        try await withScriptedServer { client in
            let status = await failure { _ = try await client.unary(path: path, request: [1, 2, 3]) }
            #expect(status?.code == code, "\(path): \(String(describing: status))")
            // The connection survives a broken stream.
            let echoed = try await client.unary(path: "/scripted/echo", request: [4])
            #expect(echoed == [4])
        }
    }

    @Test("a stream tolerates what a unary call rejects, and reports the rest")
    func streamingResponses() async throws {
        try await withScriptedServer { client in
            var messages = 0
            for try await _ in client.serverStreaming(path: "/scripted/twoMessages", request: [7]) { messages += 1 }
            #expect(messages == 2)
            var none = 0
            for try await _ in client.serverStreaming(path: "/scripted/noMessage", request: [7]) { none += 1 }
            #expect(none == 0)
            let status = await failure { for try await _ in client.serverStreaming(path: "/scripted/noTrailers", request: [7]) {} }
            #expect(status?.code == .internalError)
        }
    }

    @Test("after the server's GOAWAY the answered call succeeds and later calls are UNAVAILABLE")
    func goAway() async throws {
        try await withScriptedServer { client in
            let answered = try await client.unary(path: "/scripted/goAway", request: [9])
            #expect(answered == [9])
            // Whether the GOAWAY arrived before this call started (no stream can open) or after
            // (the stream is above the last stream id: REFUSED_STREAM), the call is UNAVAILABLE.
            let status = await failure { _ = try await client.unary(path: "/scripted/echo", request: [1]) }
            #expect(status?.code == .unavailable)
        }
    }

    private func withScriptedServer(_ body: (GRPCClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try await ScriptedHTTP2Server.start(group: group)
        let port = listener.localAddress!.port!
        do {
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group)
            do {
                try await body(client)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch {
            try? await listener.close()
            try await group.shutdownGracefully()
            throw error
        }
        try? await listener.close()
        try await group.shutdownGracefully()
    }
}
