import HTTP2Transport
import NIOCore
import NIOPosix
import Testing

@Suite("The server against bytes that are not gRPC")
struct GRPCServerRobustnessTests {
    static let inputs: [(String, [UInt8])] = [
        ("HTTP/1.1 request", Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".utf8)),
        ("random garbage", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }),
        // A valid preface, then a SETTINGS frame whose length is not a multiple of 6.
        ("preface then a malformed frame", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 5, 0x4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]),
    ]

    @Test("the connection closes and the server keeps serving others", arguments: 0..<inputs.count)
    func badBytesCloseTheConnection(index: Int) async throws {
        let (_, bytes) = Self.inputs[index]
        try await withTestServer { server in
            try await withClient(server) { bystander in
                let got1 = try await bystander.unary(path: "/test.Echo/Unary", request: [1])
                #expect(got1 == [1])

                let channel = try await ClientBootstrap(group: server.group)
                    .connect(host: "127.0.0.1", port: server.port)
                    .get()
                var buffer = channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                try? await channel.writeAndFlush(buffer)
                let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try? await channel.closeFuture.get()
                        return true
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(10))
                        return false
                    }
                    let first = try await group.next()!
                    group.cancelAll()
                    return first
                }
                #expect(closed, "the server did not close the connection")
                if !closed { try? await channel.close() }

                let got2 = try await bystander.unary(path: "/test.Echo/Unary", request: [2])
                #expect(got2 == [2])
                try await withClient(server) { other in
                    let got3 = try await other.unary(path: "/test.Echo/Unary", request: [3])
                    #expect(got3 == [3])
                }
            }
        }
    }
}
