import Synchronization

/// What a server-sent event stream must act on, kept as state rather than as queued signals so
/// none is lost: the wake-up stream only says "look again" (it keeps the newest one), and each
/// look reads these flags.
final class EventStreamControl: Sendable {
    private struct Flags {
        var isDraining = false
        var isClosed = false
        var isHeartbeatDue = false
    }

    // Sendable: all mutable state is in the Mutex; the continuation is Sendable.
    private let flags = Mutex(Flags())
    private let wakeups: AsyncStream<Void>.Continuation
    /// Yields whenever something changed: the producer has more, or a flag was set.
    let changes: AsyncStream<Void>

    init() {
        (changes, wakeups) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The producer has more.
    func wake() {
        wakeups.yield()
    }

    /// The server is shutting down: end once caught up.
    func drain() {
        flags.withLock { $0.isDraining = true }
        wakeups.yield()
    }

    /// The client's connection closed: stop at once.
    func close() {
        flags.withLock { $0.isClosed = true }
        wakeups.yield()
    }

    /// Time for a keep-alive comment.
    func heartbeat() {
        flags.withLock { $0.isHeartbeatDue = true }
        wakeups.yield()
    }

    var isDraining: Bool { flags.withLock { $0.isDraining } }
    var isClosed: Bool { flags.withLock { $0.isClosed } }

    /// Whether a keep-alive comment is due, clearing it.
    func takeHeartbeat() -> Bool {
        flags.withLock { flags in
            defer { flags.isHeartbeatDue = false }
            return flags.isHeartbeatDue
        }
    }
}
