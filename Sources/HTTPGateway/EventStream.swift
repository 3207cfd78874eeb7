import Hummingbird
import MessageRuntime
import NIOCore
import RPCCore

/// A server-streaming RPC sent to a browser as server-sent events: one `data:` line of JSON per
/// message, with the `id:` the message names (a log event's sequence, which `Last-Event-ID`
/// resumes after), a `: keep-alive` comment when idle so proxies keep it open, and a last
/// `event: end` whose data is the call's status.
///
/// The producer is pulled only as fast as the connection takes what it wrote: a browser that
/// reads slowly costs a cursor, not buffered events.
struct EventStream: Sendable {
    /// The bytes asked of the producer per pull, once the stream is under way.
    static let pullBudget = 64 << 10
    /// The bytes asked of the first pull: a watcher resuming deep in the log gets its first
    /// events after a few of them are rendered, not after 64 KiB of JSON; each pull after it
    /// asks twice as much, up to ``pullBudget``.
    static let firstPullBudget = 2 << 10

    let caller: RouterCaller
    let producer: any ServerStreamProducer
    /// Woken by the producer's waker, the connection's close, a shutdown and the keep-alive timer.
    let control: EventStreamControl
    let heartbeatInterval: Duration
    /// The JSON of one serialized message and the event id it carries, if any.
    let render: @Sendable ([UInt8]) throws -> (id: String?, json: [UInt8])

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let heartbeats = Task { [control, heartbeatInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeatInterval)
                control.heartbeat()
            }
        }
        defer { heartbeats.cancel() }
        var finished = false
        defer {
            if !finished { caller.cancel(producer) }
        }
        var changes = control.changes.makeAsyncIterator()
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        var budget = Self.firstPullBudget
        while !control.isClosed {
            let (bytes, production) = try await caller.produce(producer, budget: budget)
            budget = min(budget * 2, Self.pullBudget)
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
                break
            }
            if control.isDraining {
                try await writer.write(ByteBuffer(bytes: Self.end(RPCStatus(code: .unavailable, message: "the server is shutting down"))))
                return
            }
            if control.takeHeartbeat() {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
            }
            // Whatever woke it, look again: the producer, then the flags.
            guard await changes.next() != nil else { return }
        }
    }

    private func events(in framed: [UInt8]) throws -> [UInt8] {
        var text: [UInt8] = []
        for message in FramedMessages.split(framed) {
            let (id, json) = try render(message)
            if let id {
                text += "id: \(id)\n".utf8
            }
            text += "data: ".utf8
            text += json
            text += "\n\n".utf8
        }
        return text
    }

    private static func end(_ status: RPCStatus) -> [UInt8] {
        Array("event: end\ndata: ".utf8) + status.jsonBody + Array("\n\n".utf8)
    }
}
