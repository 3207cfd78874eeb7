import CoreMetrics
import Hummingbird
import MessageRuntime
import NIOCore
import RPCCore
import Synchronization

/// What wakes a server-sent event stream that waits for its producer.
enum EventStreamSignal: Sendable {
    /// The producer has more.
    case wake
    /// Time for a keep-alive comment.
    case heartbeat
    /// The server is shutting down: end once caught up.
    case drain
    /// The client's connection closed: stop at once.
    case closed
}

/// The event streams open now, so a shutdown can end each of them.
final class EventStreams: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var open: [UInt64: AsyncStream<EventStreamSignal>.Continuation] = [:]
        var isDraining = false
    }

    // Sendable: all mutable state is in the Mutex.
    private let state = Mutex(State())
    /// `workflow_http_event_streams`: server-sent event streams open now.
    private let gauge = Gauge(label: "workflow_http_event_streams")

    /// Registers a stream's signal continuation; it is told at once if the server is draining.
    func add(_ continuation: AsyncStream<EventStreamSignal>.Continuation) -> UInt64 {
        let (id, draining, open) = state.withLock { state in
            state.nextID += 1
            state.open[state.nextID] = continuation
            return (state.nextID, state.isDraining, state.open.count)
        }
        gauge.record(open)
        if draining { continuation.yield(.drain) }
        return id
    }

    func remove(_ id: UInt64) {
        let open = state.withLock { state in
            state.open.removeValue(forKey: id)
            return state.open.count
        }
        gauge.record(open)
    }

    /// How many streams are open.
    var count: Int {
        state.withLock { $0.open.count }
    }

    /// Tells every open stream, and every later one, to end once caught up.
    func drain() {
        let open = state.withLock { state in
            state.isDraining = true
            return Array(state.open.values)
        }
        for continuation in open {
            continuation.yield(.drain)
        }
    }
}

/// A server-streaming RPC sent to a browser as server-sent events: one `data:` line of JSON per
/// message, with the `id:` the message names (a log event's sequence, which `Last-Event-ID`
/// resumes after), a `: keep-alive` comment when idle so proxies keep it open, and a last
/// `event: end` whose data is the call's status.
///
/// The producer is pulled only as fast as the connection takes what it wrote: a browser that
/// reads slowly costs a cursor, not buffered events.
struct EventStream: Sendable {
    /// The bytes asked of the producer per pull.
    static let pullBudget = 64 << 10

    let caller: RouterCaller
    let producer: any ServerStreamProducer
    let signals: AsyncStream<EventStreamSignal>
    /// The sending side of `signals` (the producer's waker and the drain use it too).
    let signalSender: AsyncStream<EventStreamSignal>.Continuation
    let heartbeatInterval: Duration
    /// The JSON of one serialized message and the event id it carries, if any.
    let render: @Sendable ([UInt8]) throws -> (id: String?, json: [UInt8])

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let heartbeats = Task { [signalSender, heartbeatInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeatInterval)
                signalSender.yield(.heartbeat)
            }
        }
        defer { heartbeats.cancel() }
        var finished = false
        defer {
            if !finished { caller.cancel(producer) }
        }
        var iterator = signals.makeAsyncIterator()
        var draining = false
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        while true {
            let (bytes, production) = try await caller.produce(producer, budget: Self.pullBudget)
            let text = try events(in: bytes)
            if !text.isEmpty {
                try await writer.write(ByteBuffer(bytes: text))
            }
            switch production {
            case .more:
                continue
            case .finished(let status):
                finished = true
                try await writer.write(ByteBuffer(bytes: Self.end(status)))
                return
            case .pending:
                guard !draining else {
                    try await writer.write(ByteBuffer(bytes: Self.end(RPCStatus(code: .unavailable, message: "the server is shutting down"))))
                    return
                }
            }
            waiting: while true {
                switch await iterator.next() {
                case .wake?:
                    break waiting
                case .heartbeat?:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .drain?:
                    draining = true
                    break waiting
                case .closed?, nil:
                    return
                }
            }
        }
    }

    private func events(in framed: [UInt8]) throws -> [UInt8] {
        var text: [UInt8] = []
        var offset = 0
        while offset + 5 <= framed.count {
            let length = framed[offset + 1 ..< offset + 5].reduce(0) { $0 << 8 | Int($1) }
            let message = Array(framed[offset + 5 ..< offset + 5 + length])
            let (id, json) = try render(message)
            if let id {
                text += "id: \(id)\n".utf8
            }
            text += "data: ".utf8
            text += json
            text += "\n\n".utf8
            offset += 5 + length
        }
        return text
    }

    private static func end(_ status: RPCStatus) -> [UInt8] {
        Array("event: end\ndata: ".utf8) + status.jsonBody + Array("\n\n".utf8)
    }
}
