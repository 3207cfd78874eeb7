/// The result of an engine operation that changed state, and the way to wait until that change
/// is durable.
///
/// With a store the engine's state runs ahead of the disk for a moment. An answer that tells a
/// caller a change happened (a started workflow, a retry) waits for ``whenDurable(_:)``, so a
/// crash can never erase a change that was acknowledged. Without a store every change is
/// durable at once.
///
/// ```swift
/// let started = try engine.start(request)
/// started.whenDurable { respond(started.value) }
/// ```
public struct DurableResult<Value: Sendable>: Sendable {
    /// What the operation returned.
    public let value: Value
    /// The event that records the change: once it is committed, so is the change.
    let sequence: UInt64
    private let log: EventLog

    /// Pairs `value` with the event `sequence` of `log` that records the change.
    init(_ value: Value, recordedAt sequence: UInt64, in log: EventLog) {
        self.value = value
        self.sequence = sequence
        self.log = log
    }

    /// Calls `callback` once the change is durable: at once, on this thread, when it already
    /// is (always without a store), else on the store's committing thread right after the
    /// commit.
    ///
    /// - Parameter callback: Keep it short and non-blocking, such as answering an RPC.
    public func whenDurable(_ callback: @escaping @Sendable () -> Void) {
        log.whenCommitted(through: sequence, callback)
    }

    /// Whether the change is durable now.
    public var isDurable: Bool {
        log.lastSequence >= sequence
    }

    /// The same change, carrying `value` instead.
    public func replacingValue<Other: Sendable>(with value: Other) -> DurableResult<Other> {
        DurableResult<Other>(value, recordedAt: sequence, in: log)
    }
}
