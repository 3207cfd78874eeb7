import HTTP2Transport
import NIOPosix
import RPCCore
import Testing

@Suite("Unary calls over real sockets")
struct GRPCClientUnaryTests {
    @Test("a unary call round-trips its message")
    func unaryRoundTrip() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: Array("hello".utf8))
                #expect(reply == Array("hello".utf8))
                let empty = try await client.unary(path: "/test.Echo/Unary", request: [])
                #expect(empty == [])
            }
        }
    }

    @Test("a handler that completes later from another thread")
    func completesLater() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                for index in 0..<20 {
                    let reply = try await client.unary(path: "/test.Echo/Later", request: [UInt8(index)])
                    #expect(reply == [UInt8(index)])
                }
            }
        }
    }

    @Test("request headers: user-agent, custom metadata, grpc-timeout, path")
    func requestHeaders() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let plain = try await client.unary(path: "/test.Echo/Inspect", request: [])
                #expect(String(decoding: plain, as: UTF8.self) == "ua=workflowengine-swift/0.1;x-test=-;deadline=no;path=/test.Echo/Inspect")
                let rich = try await client.unary(
                    path: "/test.Echo/Inspect", request: [], timeout: .seconds(30),
                    metadata: [("X-Test", "value 1"), ("content-type", "ignored/x")]
                )
                #expect(String(decoding: rich, as: UTF8.self) == "ua=workflowengine-swift/0.1;x-test=value 1;deadline=yes;path=/test.Echo/Inspect")
            }
        }
    }

    @Test("invalid metadata fails the call before it is sent")
    func invalidMetadata() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let status = await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [], metadata: [("bad name", "x")]) }
                #expect(status?.code == .internalError)
                let value = await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [], metadata: [("x-a", "line\nbreak")]) }
                #expect(value?.code == .internalError)
            }
        }
    }

    @Test("500 concurrent calls over one connection")
    func manyConcurrentCallsOneConnection() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<500 {
                        group.addTask {
                            let request = Array("call \(index)".utf8)
                            let path = index % 2 == 0 ? "/test.Echo/Unary" : "/test.Echo/Later"
                            return try await client.unary(path: path, request: request) == request
                        }
                    }
                    var matched = 0
                    for try await ok in group where ok { matched += 1 }
                    #expect(matched == 500)
                }
            }
        }
    }

    @Test("2,000 concurrent calls on one connection: more than the server's 1,024 concurrent streams")
    func moreCallsThanConcurrentStreams() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let matched = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<2_000 {
                        group.addTask {
                            let request = Array("call \(index)".utf8)
                            return try await client.unary(path: "/test.Echo/Later", request: request) == request
                        }
                    }
                    var matched = 0
                    for try await ok in group where ok { matched += 1 }
                    return matched
                }
                #expect(matched == 2_000)
            }
        }
    }

    @Test("concurrent calls over several connections")
    func manyConcurrentCallsSeveralConnections() async throws {
        try await withTestServer { server in
            var clients: [GRPCClient] = []
            for _ in 0..<5 { clients.append(try await server.connect()) }
            let allClients = clients
            let matched = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        let request = Array("call \(index)".utf8)
                        return try await allClients[index % allClients.count].unary(path: "/test.Echo/Unary", request: request) == request
                    }
                }
                var matched = 0
                for try await ok in group where ok { matched += 1 }
                return matched
            }
            #expect(matched == 500)
            for client in clients { await client.close() }
        }
    }

    @Test("3 MiB messages in both directions")
    func largeMessages() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let request = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
                async let first = client.unary(path: "/test.Echo/Unary", request: request)
                async let second = client.unary(path: "/test.Echo/Later", request: request)
                let (a, b) = try await (first, second)
                #expect(a == request)
                #expect(b == request)
            }
        }
    }

    @Test("a request over 4 MiB ends with RESOURCE_EXHAUSTED and the connection goes on")
    func oversizeRequest() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let status = await failure {
                    _ = try await client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 7, count: (4 << 20) + 1))
                }
                #expect(status?.code == .resourceExhausted)
                #expect(status?.message.contains("larger than max") == true)
                let got1 = try await client.unary(path: "/test.Echo/Unary", request: [1, 2, 3])
                #expect(got1 == [1, 2, 3])
            }
        }
    }

    @Test("a response over the client's limit ends with RESOURCE_EXHAUSTED")
    func oversizeResponse() async throws {
        try await withTestServer { server in
            try await withClient(server, configuration: GRPCClientConfiguration(maxReceiveMessageSize: 1024)) { client in
                let status = await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 1, count: 2048)) }
                #expect(status?.code == .resourceExhausted)
                let got2 = try await client.unary(path: "/test.Echo/Unary", request: [9])
                #expect(got2 == [9])
            }
        }
    }

    @Test("unknown service and method end with UNIMPLEMENTED and a message")
    func unimplemented() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let method = await failure { _ = try await client.unary(path: "/test.Echo/Nope", request: []) }
                #expect(method == RPCStatus(code: .unimplemented, message: "Method not found: /test.Echo/Nope"))
                let service = await failure { _ = try await client.unary(path: "/nope.Service/Call", request: []) }
                #expect(service == RPCStatus(code: .unimplemented, message: "Unknown service: nope.Service"))
                let malformed = await failure { _ = try await client.unary(path: "/no-method", request: []) }
                #expect(malformed?.code == .unimplemented)
                // nghttp2 itself resets a request whose :path does not start with "/"
                // (PROTOCOL_ERROR), which the client reports as INTERNAL.
                let invalid = await failure { _ = try await client.unary(path: "no-slash", request: []) }
                #expect(invalid?.code == .internalError)
            }
        }
    }

    @Test("an error status with a unicode message round-trips the percent-encoding",
          arguments: [
              "naïve 100% — ✓ 日本語",
              "line one\nline two\ttab",
              "%41 is not decoded twice, %zz stays",
              "plain ascii",
          ])
    func errorStatusRoundTrip(message: String) async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let status = await failure { _ = try await client.unary(path: "/test.Echo/Fail", request: Array("9|\(message)".utf8)) }
                #expect(status == RPCStatus(code: .failedPrecondition, message: message))
            }
        }
    }

    @Test("every error code reaches the client", arguments: 1...16)
    func everyCode(raw: Int) async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let status = await failure { _ = try await client.unary(path: "/test.Echo/Fail", request: Array("\(raw)|code \(raw)".utf8)) }
                #expect(status == RPCStatus(code: RPCStatus.Code(rawValue: raw)!, message: "code \(raw)"))
            }
        }
    }

    @Test("a timeout that passes ends the call with DEADLINE_EXCEEDED")
    func deadline() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let start = ContinuousClock.now
                let status = await failure { _ = try await client.unary(path: "/test.Echo/Never", request: [], timeout: .milliseconds(200)) }
                #expect(status?.code == .deadlineExceeded)
                #expect(ContinuousClock.now - start < .seconds(5))
                let got3 = try await client.unary(path: "/test.Echo/Unary", request: [4], timeout: .seconds(10))
                #expect(got3 == [4])
            }
        }
    }

    @Test("cancelling the calling task ends the call with CANCELLED")
    func cancelUnary() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let task = Task { try await client.unary(path: "/test.Echo/Never", request: []) }
                try await Task.sleep(for: .milliseconds(100))
                task.cancel()
                let status = await failure { _ = try await task.value }
                #expect(status?.code == .cancelled)

                let cancelledEarly = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await client.unary(path: "/test.Echo/Unary", request: [1])
                }
                #expect(await failure { _ = try await cancelledEarly.value }?.code == .cancelled)
                let got4 = try await client.unary(path: "/test.Echo/Unary", request: [5])
                #expect(got4 == [5])
            }
        }
    }

    @Test("a lost connection ends running and later calls with UNAVAILABLE")
    func connectionLoss() async throws {
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let probes = TestProbes()
        let server = GRPCServer(
            router: makeTestRouter(probes: probes),
            configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0),
            group: serverGroup, logger: quietLogger
        )
        let port = try await server.start()
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: clientGroup)
        let got5 = try await client.unary(path: "/test.Echo/Unary", request: [1])
        #expect(got5 == [1])
        let running = Task { try await client.unary(path: "/test.Echo/Never", request: []) }
        try await Task.sleep(for: .milliseconds(100))
        try await server.stop()
        try await serverGroup.shutdownGracefully()
        #expect(await failure { _ = try await running.value }?.code == .unavailable)
        #expect(await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [1]) }?.code == .unavailable)
        await client.close()

        let refused = await failure { _ = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: clientGroup) }
        #expect(refused?.code == .unavailable)
        try await clientGroup.shutdownGracefully()
    }

    @Test("a client whose event loop group shut down fails calls at once and closes quietly")
    func groupShutDownFirst() async throws {
        try await withTestServer { server in
            let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: server.port, group: clientGroup)
            let echoed = try await client.unary(path: "/test.Echo/Unary", request: [1])
            #expect(echoed == [1])
            try await clientGroup.shutdownGracefully()
            #expect(await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [1]) }?.code == .unavailable)
            #expect(await failure { for try await _ in client.serverStreaming(path: "/test.Stream/Count", request: []) {} }?.code == .unavailable)
            await client.close()
        }
    }

    @Test("close() ends running calls with UNAVAILABLE and refuses new ones")
    func closeClient() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let running = Task { try await client.unary(path: "/test.Echo/Never", request: []) }
            try await Task.sleep(for: .milliseconds(100))
            await client.close()
            #expect(await failure { _ = try await running.value }?.code == .unavailable)
            #expect(await failure { _ = try await client.unary(path: "/test.Echo/Unary", request: [1]) }?.code == .unavailable)
            await client.close()  // idempotent

            try await withClient(server) { other in
                let got6 = try await other.unary(path: "/test.Echo/Unary", request: [2])
                #expect(got6 == [2])
            }
        }
    }
}
