import Dispatch
import RPCCore
import Synchronization

/// What the test services observed, for assertions on the server side.
final class TestProbes: Sendable {
    /// Bytes produced by `/test.Stream/Infinite` producers.
    let producedBytes = Atomic<Int>(0)
    /// How many producers had `cancel()` called.
    let cancelledProducers = Atomic<Int>(0)
    /// How many producers finished on their own.
    let finishedProducers = Atomic<Int>(0)
}

/// The methods the transport tests call.
///
/// `test.Echo`:
/// - `Unary` echoes the request;
/// - `Later` echoes it from another thread after a few milliseconds;
/// - `Inspect` answers `ua=…;x-test=…;deadline=yes|no;path=…`;
/// - `Fail` fails with the status `code|message` given in the request (UTF-8);
/// - `Never` never answers;
/// - `Slow` echoes the request from another thread after 300 ms.
///
/// `test.Stream` (requests are big-endian `UInt32`s, see ``StreamRequest``):
/// - `Count` streams `count` messages of `size` bytes (the first 4 are the index);
/// - `Pending` streams `count` messages one at a time, each after a wake-up from another thread;
/// - `Infinite` streams `size`-byte messages until `total` bytes were produced, counting them
///   in ``TestProbes/producedBytes``;
/// - `FailAfter` streams `count` messages, then ends with ABORTED;
/// - `FailAtStart` fails before any message with FAILED_PRECONDITION;
/// - `EmptyMore` first answers `.more` without a message, then streams `count` messages;
/// - `WakeInside` streams `count` messages, one per `produce`, each after a `.pending` whose
///   wake-up it calls from inside `produce` (on the connection's thread);
/// - `Stall` streams `count` messages, then answers `.pending` forever.
///
/// `test.Bidi`: `Echo` answers each request message with itself as it arrives and ends OK
/// after the client's end; `Sum` (client-streaming) answers once, at the end, with the total
/// byte count of the requests as a big-endian `UInt32`; `Reject` fails the call with
/// INVALID_ARGUMENT on its second message.
func makeTestRouter(probes: TestProbes) -> RPCRouter {
    var router = RPCRouter()
    router.register(service: "test.Echo", method: "Unary", .unary { request, _, responder in
        responder.succeed(request)
    })
    router.register(service: "test.Echo", method: "Later", .unary { request, _, responder in
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) {
            responder.succeed(request)
        }
    })
    router.register(service: "test.Echo", method: "Inspect", .unary { _, context, responder in
        let userAgent = context.metadata.firstString(forKey: "user-agent") ?? "-"
        let custom = context.metadata.firstString(forKey: "x-test") ?? "-"
        let deadline = context.deadline == nil ? "no" : "yes"
        responder.succeed(Array("ua=\(userAgent);x-test=\(custom);deadline=\(deadline);path=\(context.path)".utf8))
    })
    router.register(service: "test.Echo", method: "Fail", .unary { request, _, responder in
        let text = String(decoding: request, as: UTF8.self)
        let parts = text.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        let code = RPCStatus.Code(rawValue: Int(parts[0]) ?? 2) ?? .unknown
        responder.fail(RPCStatus(code: code, message: parts.count > 1 ? String(parts[1]) : ""))
    })
    router.register(service: "test.Echo", method: "Never", .unary { _, _, _ in })
    router.register(service: "test.Echo", method: "Slow", .unary { request, _, responder in
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) {
            responder.succeed(request)
        }
    })

    router.register(service: "test.Stream", method: "Count", .serverStreaming { request, _, _ in
        let parsed = StreamRequest(request)
        return CountingProducer(count: parsed.count, size: parsed.size, failAtEnd: nil, probes: probes)
    })
    router.register(service: "test.Stream", method: "FailAfter", .serverStreaming { request, _, _ in
        let parsed = StreamRequest(request)
        return CountingProducer(count: parsed.count, size: parsed.size, failAtEnd: RPCStatus(code: .aborted, message: "stopped after \(parsed.count) messages"), probes: probes)
    })
    router.register(service: "test.Stream", method: "FailAtStart", .serverStreaming { _, _, _ throws(RPCStatus) in
        throw RPCStatus(code: .failedPrecondition, message: "not now ✋ (100%)")
    })
    router.register(service: "test.Stream", method: "Pending", .serverStreaming { request, _, waker in
        PendingProducer(count: StreamRequest(request).count, waker: waker, probes: probes)
    })
    router.register(service: "test.Stream", method: "Infinite", .serverStreaming { request, _, _ in
        let parsed = StreamRequest(request)
        return InfiniteProducer(total: parsed.total, size: parsed.size, probes: probes)
    })
    router.register(service: "test.Stream", method: "EmptyMore", .serverStreaming { request, _, _ in
        EmptyFirstProducer(count: StreamRequest(request).count)
    })
    router.register(service: "test.Stream", method: "WakeInside", .serverStreaming { request, _, waker in
        WakeInsideProducer(count: StreamRequest(request).count, waker: waker)
    })
    router.register(service: "test.Bidi", method: "Echo", .bidirectionalStreaming { _, waker in
        QueueingHandler(waker: waker, rejectAt: nil) { [$0] }
    })
    router.register(service: "test.Bidi", method: "Reject", .bidirectionalStreaming { _, waker in
        QueueingHandler(waker: waker, rejectAt: 2) { [$0] }
    })
    router.register(service: "test.Bidi", method: "Sum", .bidirectionalStreaming { _, waker in
        QueueingHandler(waker: waker, rejectAt: nil, summing: true) { _ in [] }
    })
    router.register(service: "test.Stream", method: "Stall", .serverStreaming { request, _, _ in
        StallingProducer(count: StreamRequest(request).count, probes: probes)
    })
    return router
}

/// The request of the `test.Stream` methods: `count`, `size`, `total` as big-endian `UInt32`s
/// (`total` in KiB).
struct StreamRequest {
    var count: Int
    var size: Int
    var total: Int

    init(count: Int = 0, size: Int = 8, total: Int = 0) {
        self.count = count
        self.size = size
        self.total = total
    }

    init(_ bytes: [UInt8]) {
        func field(_ index: Int) -> Int {
            guard bytes.count >= index * 4 + 4 else { return 0 }
            return bytes[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        self.init(count: field(0), size: max(field(1), 4), total: field(2) << 10)
    }

    var bytes: [UInt8] {
        [count, size, total >> 10].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    }
}

/// A message whose first 4 bytes are `index`, big-endian, padded to `size` bytes.
func indexedMessage(_ index: Int, size: Int) -> [UInt8] {
    var message = [UInt8](repeating: 0xAB, count: max(size, 4))
    for offset in 0..<4 { message[offset] = UInt8(truncatingIfNeeded: index >> (24 - 8 * offset)) }
    return message
}

/// The index a message from ``indexedMessage(_:size:)`` carries.
func messageIndex(_ message: [UInt8]) -> Int {
    message.prefix(4).reduce(0) { $0 << 8 | Int($1) }
}

/// Produces `count` indexed messages, as many as the budget allows per call.
final class CountingProducer: ServerStreamProducer {
    private let count: Int
    private let size: Int
    private let failAtEnd: RPCStatus?
    private let probes: TestProbes
    private let next = Mutex(0)

    init(count: Int, size: Int, failAtEnd: RPCStatus?, probes: TestProbes) {
        self.count = count
        self.size = size
        self.failAtEnd = failAtEnd
        self.probes = probes
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        let (start, end) = next.withLock { next -> (Int, Int) in
            let start = next
            let perMessage = size + 5
            let fitting = max(1, (output.budget + perMessage - 1) / perMessage)
            next = min(count, start + fitting)
            return (start, next)
        }
        for index in start..<end {
            output.append(message: indexedMessage(index, size: size))
        }
        guard end == count else { return .more }
        probes.finishedProducers.add(1, ordering: .relaxed)
        return .finished(failAtEnd ?? .ok)
    }

    func cancel() {
        probes.cancelledProducers.add(1, ordering: .relaxed)
    }
}

/// Produces one message per wake-up; the waker is called from a Dispatch thread.
final class PendingProducer: ServerStreamProducer {
    private let count: Int
    private let waker: StreamWaker
    private let probes: TestProbes
    /// The next index, and whether a message is ready to go.
    private let state = Mutex((next: 0, ready: false))

    init(count: Int, waker: StreamWaker, probes: TestProbes) {
        self.count = count
        self.waker = waker
        self.probes = probes
        scheduleWake()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        let emitted = state.withLock { state -> Int? in
            guard state.ready else { return nil }
            state.ready = false
            defer { state.next += 1 }
            return state.next
        }
        guard let index = emitted else { return count == 0 ? .finished(.ok) : .pending }
        output.append(message: indexedMessage(index, size: 8))
        if index + 1 == count {
            probes.finishedProducers.add(1, ordering: .relaxed)
            return .finished(.ok)
        }
        scheduleWake()
        return .pending
    }

    func cancel() {
        probes.cancelledProducers.add(1, ordering: .relaxed)
    }

    private func scheduleWake() {
        DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(200)) { [self] in
            state.withLock { $0.ready = true }
            waker()
        }
    }
}

/// Produces `size`-byte messages until `total` bytes, counting what it produced.
final class InfiniteProducer: ServerStreamProducer {
    private let total: Int
    private let size: Int
    private let probes: TestProbes
    private let produced = Mutex(0)

    init(total: Int, size: Int, probes: TestProbes) {
        self.total = total
        self.size = size
        self.probes = probes
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        var index = produced.withLock { $0 } / size
        while !output.isFull {
            let done = produced.withLock { produced -> Bool in
                guard produced < total else { return true }
                produced += size
                return false
            }
            if done { break }
            output.append(message: indexedMessage(index, size: size))
            probes.producedBytes.add(size, ordering: .relaxed)
            index += 1
        }
        if produced.withLock({ $0 }) >= total {
            probes.finishedProducers.add(1, ordering: .relaxed)
            return .finished(.ok)
        }
        return .more
    }

    func cancel() {
        probes.cancelledProducers.add(1, ordering: .relaxed)
    }
}

/// Answers `.more` with nothing once (allowed by the `StreamProduction.more` contract: "more
/// may be ready"), then `count` indexed messages.
final class EmptyFirstProducer: ServerStreamProducer {
    private let count: Int
    private let calls = Atomic<Int>(0)

    init(count: Int) {
        self.count = count
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        if calls.add(1, ordering: .relaxed).oldValue == 0 { return .more }
        for index in 0..<count { output.append(message: indexedMessage(index, size: 8)) }
        return .finished(.ok)
    }

    func cancel() {}
}

/// Alternates: a `produce` that finds nothing ready, makes the next message ready and calls the
/// waker before answering `.pending` (as a producer does when data arrives while it checks),
/// then a `produce` that sends it.
final class WakeInsideProducer: ServerStreamProducer {
    private let count: Int
    private let waker: StreamWaker
    private let state = Mutex((next: 0, ready: false))

    init(count: Int, waker: StreamWaker) {
        self.count = count
        self.waker = waker
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        let index = state.withLock { state -> Int? in
            guard state.ready else {
                state.ready = true
                return nil
            }
            state.ready = false
            defer { state.next += 1 }
            return state.next
        }
        guard let index else {
            waker()
            return .pending
        }
        output.append(message: indexedMessage(index, size: 8))
        return index + 1 == count ? .finished(.ok) : .more
    }

    func cancel() {}
}

/// Produces `count` indexed messages, then nothing ever again (it never calls its waker).
final class StallingProducer: ServerStreamProducer {
    private let count: Int
    private let probes: TestProbes
    private let sent = Atomic<Bool>(false)

    init(count: Int, probes: TestProbes) {
        self.count = count
        self.probes = probes
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        guard !sent.exchange(true, ordering: .relaxed) else { return .pending }
        for index in 0..<count { output.append(message: indexedMessage(index, size: 8)) }
        return .pending
    }

    func cancel() {
        probes.cancelledProducers.add(1, ordering: .relaxed)
    }
}

/// Answers request messages through a queue: `answer` maps each request to responses at once;
/// with `summing`, one response at the end carries the total request bytes.
final class QueueingHandler: RequestStreamHandler {
    private struct State {
        var queue: [[UInt8]] = []
        var received = 0
        var totalBytes = 0
        var ended = false
    }

    private let waker: StreamWaker
    private let rejectAt: Int?
    private let summing: Bool
    private let answer: @Sendable ([UInt8]) -> [[UInt8]]
    private let state = Mutex(State())

    init(waker: StreamWaker, rejectAt: Int?, summing: Bool = false, answer: @escaping @Sendable ([UInt8]) -> [[UInt8]]) {
        self.waker = waker
        self.rejectAt = rejectAt
        self.summing = summing
        self.answer = answer
    }

    func receive(_ message: [UInt8]) throws(RPCStatus) {
        let count = state.withLock { state in
            state.received += 1
            state.totalBytes += message.count
            state.queue += answer(message)
            return state.received
        }
        if count == rejectAt { throw RPCStatus(code: .invalidArgument, message: "message \(count) rejected") }
        waker()
    }

    func requestsEnded() {
        state.withLock { state in
            state.ended = true
            if summing {
                let total = UInt32(state.totalBytes)
                state.queue.append((0..<4).map { UInt8(truncatingIfNeeded: total >> (24 - 8 * $0)) })
            }
        }
        waker()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        state.withLock { state in
            for message in state.queue { output.append(message: message) }
            state.queue.removeAll()
            return state.ended ? .finished(.ok) : .pending
        }
    }

    func cancel() {}
}
