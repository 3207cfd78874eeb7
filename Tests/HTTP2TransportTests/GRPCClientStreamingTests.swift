import HTTP2Transport
import RPCCore
import Synchronization
import Testing

@Suite("Server-streaming calls over real sockets")
struct GRPCClientStreamingTests {
    @Test("10,000 messages arrive complete and in order")
    func tenThousandInOrder() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let stream = client.serverStreaming(path: "/test.Stream/Count", request: StreamRequest(count: 10_000, size: 100).bytes)
                var expected = 0
                var inOrder = true
                for try await message in stream {
                    if messageIndex(message) != expected || message.count != 100 { inOrder = false }
                    expected += 1
                }
                #expect(expected == 10_000)
                #expect(inOrder)
                #expect(server.probes.finishedProducers.load(ordering: .relaxed) == 1)
            }
        }
    }

    @Test("several streams and unary calls share one connection")
    func concurrentStreams() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            var count = 0
                            for try await _ in client.serverStreaming(path: "/test.Stream/Count", request: StreamRequest(count: 2_000, size: 300).bytes) {
                                count += 1
                            }
                            return count
                        }
                    }
                    for index in 0..<50 {
                        group.addTask { try await client.unary(path: "/test.Echo/Unary", request: [UInt8(index)]) == [UInt8(index)] ? 1 : 0 }
                    }
                    var counts: [Int] = []
                    for try await count in group { counts.append(count) }
                    return counts
                }
                #expect(counts.filter { $0 == 2_000 }.count == 8)
                let total = counts.reduce(0, +)
                #expect(total == 16_050)
            }
        }
    }

    @Test("a producer that goes pending and is woken from another thread")
    func pendingProducer() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var indexes: [Int] = []
                for try await message in client.serverStreaming(path: "/test.Stream/Pending", request: StreamRequest(count: 300).bytes) {
                    indexes.append(messageIndex(message))
                }
                #expect(indexes == Array(0..<300))
            }
        }
    }

    @Test("a status after some messages is thrown after them")
    func failAfterMessages() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var received = 0
                let status = await failure {
                    for try await _ in client.serverStreaming(path: "/test.Stream/FailAfter", request: StreamRequest(count: 25, size: 10).bytes) {
                        received += 1
                    }
                }
                #expect(received == 25)
                #expect(status == RPCStatus(code: .aborted, message: "stopped after 25 messages"))
            }
        }
    }

    @Test("a handler that throws at start (Trailers-Only) and unknown methods")
    func failAtStart() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let status = await failure {
                    for try await _ in client.serverStreaming(path: "/test.Stream/FailAtStart", request: []) {}
                }
                #expect(status == RPCStatus(code: .failedPrecondition, message: "not now ✋ (100%)"))
                let unknown = await failure {
                    for try await _ in client.serverStreaming(path: "/test.Stream/Nope", request: []) {}
                }
                #expect(unknown == RPCStatus(code: .unimplemented, message: "Method not found: /test.Stream/Nope"))
            }
        }
    }

    @Test("after the end, the iterator keeps returning nil")
    func iteratorAfterEnd() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var iterator = client.serverStreaming(path: "/test.Stream/Count", request: StreamRequest(count: 1, size: 8).bytes).makeAsyncIterator()
                let got1 = try await iterator.next().map(messageIndex)
                #expect(got1 == 0)
                let got2 = try await iterator.next()
                #expect(got2 == nil)
                let got3 = try await iterator.next()
                #expect(got3 == nil)

                var failing = client.serverStreaming(path: "/test.Stream/FailAtStart", request: []).makeAsyncIterator()
                #expect(await failure { _ = try await failing.next() }?.code == .failedPrecondition)
                let got4 = try await failing.next()
                #expect(got4 == nil)
            }
        }
    }

    @Test("cancelling the consuming task resets the stream, the producer is cancelled, the server goes on")
    func cancelStream() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let received = Atomic<Int>(0)
                let task = Task {
                    for try await _ in client.serverStreaming(path: "/test.Stream/Infinite", request: StreamRequest(size: 1024, total: 100 << 20).bytes) {
                        received.add(1, ordering: .relaxed)
                    }
                }
                #expect(await eventually { received.load(ordering: .relaxed) >= 100 })
                task.cancel()
                #expect(await failure { try await task.value }?.code == .cancelled)
                #expect(await eventually { server.probes.cancelledProducers.load(ordering: .relaxed) == 1 })
                #expect(server.probes.finishedProducers.load(ordering: .relaxed) == 0)

                // The same connection and a new one both keep working.
                let got5 = try await client.unary(path: "/test.Echo/Unary", request: [1])
                #expect(got5 == [1])
                var count = 0
                for try await _ in client.serverStreaming(path: "/test.Stream/Count", request: StreamRequest(count: 100).bytes) { count += 1 }
                #expect(count == 100)
                try await withClient(server) { other in
                    let got6 = try await other.unary(path: "/test.Echo/Unary", request: [2])
                    #expect(got6 == [2])
                }
            }
        }
    }

    @Test("dropping a stream before its end cancels the call")
    func dropStream() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                do {
                    var iterator = client.serverStreaming(path: "/test.Stream/Infinite", request: StreamRequest(size: 1024, total: 100 << 20).bytes).makeAsyncIterator()
                    _ = try await iterator.next()
                }
                #expect(await eventually { server.probes.cancelledProducers.load(ordering: .relaxed) == 1 })
                let got7 = try await client.unary(path: "/test.Echo/Unary", request: [3])
                #expect(got7 == [3])
            }
        }
    }

    @Test("a slow consumer: the server produces about a flow-control window, not the whole stream")
    func slowConsumerIsBounded() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                let produced = { server.probes.producedBytes.load(ordering: .relaxed) }
                do {
                    // 100 MiB available, 16 KiB messages.
                    var iterator = client.serverStreaming(path: "/test.Stream/Infinite", request: StreamRequest(size: 16 << 10, total: 100 << 20).bytes).makeAsyncIterator()
                    _ = try await iterator.next()
                    // The consumer stalls; production must stop by itself.
                    var settled = produced()
                    var stableFor = 0
                    while stableFor < 5 {
                        try await Task.sleep(for: .milliseconds(100))
                        let now = produced()
                        stableFor = now == settled ? stableFor + 1 : 0
                        settled = now
                    }
                    #expect(settled < 2 << 20, "produced \(settled) bytes for a stalled consumer")
                    #expect(settled > 0)

                    // Reading resumes production.
                    for _ in 0..<400 { _ = try await iterator.next() }
                    #expect(produced() > settled)
                    #expect(produced() < 2 << 20 + 400 * (16 << 10))
                }
                #expect(await eventually { server.probes.cancelledProducers.load(ordering: .relaxed) == 1 })
                let got8 = try await client.unary(path: "/test.Echo/Unary", request: [6])
                #expect(got8 == [6])
            }
        }
    }

    @Test("a stream's timeout ends it with DEADLINE_EXCEEDED")
    func streamDeadline() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var received = 0
                let status = await failure {
                    for try await _ in client.serverStreaming(path: "/test.Stream/Infinite", request: StreamRequest(size: 1024, total: 1 << 30).bytes, timeout: .seconds(1)) {
                        received += 1
                        if received % 100 == 0 { try await Task.sleep(for: .milliseconds(10)) }
                    }
                }
                #expect(status?.code == .deadlineExceeded)
                #expect(received > 0)
                #expect(await eventually { server.probes.cancelledProducers.load(ordering: .relaxed) == 1 })
            }
        }
    }

    /// Regression: the server used to defer such a stream and wait for a `StreamWaker` call that
    /// a producer which said `.more` never makes, stalling it until the client's deadline.
    @Test("a producer that answers .more without bytes is asked again")
    func moreWithoutBytes() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var count = 0
                let status = await failure {
                    for try await _ in client.serverStreaming(path: "/test.Stream/EmptyMore", request: StreamRequest(count: 3).bytes, timeout: .seconds(1)) {
                        count += 1
                    }
                }
                #expect(status == nil)
                #expect(count == 3)
            }
        }
    }

    /// Regression: a wake-up given inside `produce` (on the connection's thread, before the
    /// stream was deferred) was dropped, and the stream stalled until the client's deadline.
    @Test("a producer that calls its waker from inside produce is asked again")
    func wakeInsideProduce() async throws {
        try await withTestServer { server in
            try await withClient(server) { client in
                var indexes: [Int] = []
                let status = await failure {
                    for try await message in client.serverStreaming(path: "/test.Stream/WakeInside", request: StreamRequest(count: 5).bytes, timeout: .seconds(2)) {
                        indexes.append(messageIndex(message))
                    }
                }
                #expect(status == nil)
                #expect(indexes == Array(0..<5))
            }
        }
    }
}
