import Synchronization
import WorkflowModel

/// The ordered log of every event the engine produced: the single source of truth that
/// watchers read from.
///
/// Only the engine appends. Each event gets a server-wide sequence number, strictly increasing
/// from 1. The log keeps the newest `retention` events and drops older ones.
///
/// Reading never waits for the engine: every method takes one short lock, so a network thread
/// can call them directly. A watcher replays and then follows with no gap and no duplicate:
///
/// ```swift
/// var cursor = afterSequence
/// while true {
///     switch log.read(after: cursor, matching: filter, limit: 64) {
///     case .truncated(let oldest):
///         sendGap(cursor + 1 ... oldest - 1)  // never skip silently
///         cursor = oldest - 1
///     case .events(let events, let scannedThrough):
///         send(events)
///         cursor = scannedThrough
///         if !events.isEmpty { continue }
///     }
///     // Nothing new: sleep until an append, unless one happened since the read.
///     guard let waiter = log.notifyOnAppend(after: cursor, { wakeUp() }) else { continue }
///     await wokenUp(orCancelled: { log.cancel(waiter) })
/// }
/// ```
///
/// Swapping in a durable store later means keeping this interface and reading older events
/// from the store instead of answering ``EventRead/truncated(oldestRetained:)``.
public final class EventLog: Sendable {
    /// The most events retained.
    public let retention: Int

    /// The most events one read examines, bounding how long it holds the lock; a read that stops
    /// early returns with ``EventRead/events(_:scannedThrough:)`` short of the end.
    static let scanBudget = 8_192

    private struct State {
        var ring: EventRing
        var lastSequence: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
        var nextWaiterID: UInt64 = 0

        /// The sequence of the oldest retained event, or `lastSequence + 1` when empty.
        var oldestRetained: UInt64 {
            lastSequence - UInt64(ring.count) + 1
        }
    }

    // Sendable because all mutable state lives in the Mutex (itself Sendable) and the stored
    // callbacks are @Sendable.
    private let state: Mutex<State>

    /// Creates an empty log that retains the newest `retention` events (at least 1).
    init(retention: Int) {
        let retention = max(1, retention)
        self.retention = retention
        self.state = Mutex(State(ring: EventRing(capacity: retention)))
    }

    /// The sequence of the newest event, or 0 when nothing was ever appended.
    public var lastSequence: UInt64 {
        state.withLock { $0.lastSequence }
    }

    /// The sequence of the oldest retained event (`lastSequence + 1` when the log is empty).
    public var oldestRetainedSequence: UInt64 {
        state.withLock { $0.oldestRetained }
    }

    /// Appends `events` in order, stamping each (and its step, if any) with the next sequence
    /// numbers, and wakes every waiter.
    ///
    /// - Returns: The sequence given to the first event (`lastSequence + 1` if `events` is empty).
    @discardableResult
    func append(contentsOf events: [LogEvent]) -> UInt64 {
        guard !events.isEmpty else { return lastSequence + 1 }
        let (first, fired) = state.withLock { state -> (UInt64, [UInt64: @Sendable () -> Void]) in
            let first = state.lastSequence + 1
            for var event in events {
                state.lastSequence += 1
                event.sequence = state.lastSequence
                if event.step != nil {
                    event.step!.sequence = state.lastSequence
                }
                state.ring.append(event)
            }
            guard !state.waiters.isEmpty else { return (first, [:]) }
            let fired = state.waiters
            state.waiters = [:]
            return (first, fired)
        }
        // Outside the lock: a callback may read the log or register again.
        for callback in fired.values {
            callback()
        }
        return first
    }

    /// Appends one event; see ``append(contentsOf:)``.
    ///
    /// - Returns: The event's sequence.
    @discardableResult
    func append(_ event: LogEvent) -> UInt64 {
        append(contentsOf: [event])
    }

    /// Reads the retained events after `sequence` that match `filter`, in order.
    ///
    /// Examines events from `sequence + 1` on until it has `limit` matches, reaches the newest
    /// event, or has examined ``scanBudget`` events.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the caller has seen (or scanned); 0 for the beginning.
    ///   - filter: Which events to return.
    ///   - limit: The most events to return (at least 1 is used).
    /// - Returns: The matches and the last sequence examined, or
    ///   ``EventRead/truncated(oldestRetained:)`` when the event after `sequence` was dropped.
    public func read(after sequence: UInt64, matching filter: EventFilter, limit: Int) -> EventRead {
        let limit = max(1, limit)
        return state.withLock { state in
            let oldest = state.oldestRetained
            if sequence < oldest - 1 {
                return .truncated(oldestRetained: oldest)
            }
            guard sequence < state.lastSequence else {
                return .events([], scannedThrough: sequence)
            }
            var matches: [LogEvent] = []
            var current = sequence
            let end = min(state.lastSequence, sequence + UInt64(Self.scanBudget))
            while current < end && matches.count < limit {
                current += 1
                let event = state.ring[Int(current - oldest)]
                if filter.matches(event) {
                    matches.append(event)
                }
            }
            return .events(matches, scannedThrough: current)
        }
    }

    /// Registers a one-shot `callback` for the next append, unless an event newer than
    /// `sequence` already exists.
    ///
    /// The check and the registration happen under one lock with the appends, so no append can
    /// slip between a read that found nothing and the registration.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the caller has read or scanned.
    ///   - callback: Called once, outside the lock, on the appending thread, right after the
    ///     next append. Keep it short and non-blocking (e.g. schedule work on an event loop).
    /// - Returns: A handle for ``cancel(_:)``, or `nil` (nothing registered) when an event
    ///   newer than `sequence` exists: read again instead.
    public func notifyOnAppend(
        after sequence: UInt64,
        _ callback: @escaping @Sendable () -> Void
    ) -> AppendWaiter? {
        state.withLock { state in
            guard state.lastSequence <= sequence else { return nil }
            state.nextWaiterID += 1
            state.waiters[state.nextWaiterID] = callback
            return AppendWaiter(id: state.nextWaiterID)
        }
    }

    /// Removes a registration that has not fired; does nothing if it fired already.
    ///
    /// Call it when a watcher goes away while waiting, so its callback is released at once.
    public func cancel(_ waiter: AppendWaiter) {
        _ = state.withLock { state in
            state.waiters.removeValue(forKey: waiter.id)
        }
    }

    /// The number of registered waiters (for tests and metrics).
    var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }
}
