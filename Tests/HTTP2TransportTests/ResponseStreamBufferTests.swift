@testable import HTTP2Transport
import RPCCore
import Synchronization
import Testing

@Suite("ResponseStreamBuffer: backpressure and cancellation, without sockets")
struct ResponseStreamBufferTests {
    final class Hooks: Sendable {
        let drained = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)

        func makeBuffer(limit: Int) -> ResponseStreamBuffer {
            ResponseStreamBuffer(
                maxBufferedBytes: limit,
                onDrained: { self.drained.add(1, ordering: .relaxed) },
                onCancel: { self.cancelled.add(1, ordering: .relaxed) }
            )
        }
    }

    @Test("pauses above the limit and reports drained at half of it, once")
    func backpressure() async throws {
        let hooks = Hooks()
        let buffer = hooks.makeBuffer(limit: 100)
        #expect(buffer.yield([UInt8](repeating: 0, count: 60)) == false)
        #expect(buffer.yield([UInt8](repeating: 1, count: 40)) == false)  // exactly 100: not over
        #expect(buffer.yield([UInt8](repeating: 2, count: 10)) == true)
        #expect(buffer.yield([UInt8](repeating: 3, count: 10)) == true)
        _ = try await buffer.next()  // 60 left
        #expect(hooks.drained.load(ordering: .relaxed) == 0)
        _ = try await buffer.next()  // 20 left
        #expect(hooks.drained.load(ordering: .relaxed) == 1)
        _ = try await buffer.next()
        _ = try await buffer.next()
        #expect(hooks.drained.load(ordering: .relaxed) == 1)
        #expect(buffer.yield([1]) == false)
    }

    @Test("messages come before the end; an OK end is nil, then nil again")
    func okEnd() async throws {
        let hooks = Hooks()
        let buffer = hooks.makeBuffer(limit: 1 << 20)
        _ = buffer.yield([1])
        _ = buffer.yield([2])
        buffer.finish(.ok)
        buffer.finish(RPCStatus(code: .internalError))  // ignored
        #expect(try await buffer.next() == [1])
        #expect(try await buffer.next() == [2])
        #expect(try await buffer.next() == nil)
        #expect(try await buffer.next() == nil)
        #expect(hooks.cancelled.load(ordering: .relaxed) == 0)
    }

    @Test("a failed end is thrown once after the messages")
    func failedEnd() async throws {
        let buffer = Hooks().makeBuffer(limit: 1 << 20)
        _ = buffer.yield([1])
        buffer.finish(RPCStatus(code: .aborted, message: "x"))
        #expect(try await buffer.next() == [1])
        var thrown: RPCStatus?
        do { _ = try await buffer.next() } catch { thrown = error }
        #expect(thrown == RPCStatus(code: .aborted, message: "x"))
        #expect(try await buffer.next() == nil)
    }

    @Test("a waiting consumer is resumed by a message and by the end")
    func waitingConsumer() async throws {
        let buffer = Hooks().makeBuffer(limit: 1 << 20)
        let reader = Task { () throws(RPCStatus) -> [[UInt8]] in
            var messages: [[UInt8]] = []
            while let message = try await buffer.next() { messages.append(message) }
            return messages
        }
        try await Task.sleep(for: .milliseconds(50))
        _ = buffer.yield([1])
        try await Task.sleep(for: .milliseconds(20))
        _ = buffer.yield([2])
        buffer.finish(.ok)
        #expect(try await reader.value == [[1], [2]])
    }

    @Test("cancelling the waiting task ends the stream with CANCELLED and calls onCancel once")
    func taskCancellation() async throws {
        let hooks = Hooks()
        let buffer = hooks.makeBuffer(limit: 1 << 20)
        let reader = Task { () throws(RPCStatus) -> [UInt8]? in try await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        var thrown: RPCStatus?
        do { _ = try await reader.value } catch let error as RPCStatus { thrown = error }
        #expect(thrown?.code == .cancelled)
        #expect(hooks.cancelled.load(ordering: .relaxed) == 1)
        #expect(buffer.yield([1]) == false)  // dropped
        buffer.finish(.ok)                   // ignored
        buffer.cancel()
        #expect(hooks.cancelled.load(ordering: .relaxed) == 1)
        #expect(try await buffer.next() == nil)
    }

    @Test("dropping the stream cancels a running call but not a finished one")
    func dropping() async throws {
        let running = Hooks()
        do {
            let stream = GRPCResponseStream(buffer: running.makeBuffer(limit: 10))
            _ = stream.makeAsyncIterator()
        }
        #expect(running.cancelled.load(ordering: .relaxed) == 1)

        let finished = Hooks()
        do {
            let buffer = finished.makeBuffer(limit: 10)
            let stream = GRPCResponseStream(buffer: buffer)
            buffer.finish(.ok)
            _ = stream
        }
        #expect(finished.cancelled.load(ordering: .relaxed) == 0)
    }
}
