import Synchronization
import WorkflowModel

/// The ordered log of every event the engine produced: the single source of truth that
/// watchers read from.
///
/// Only the engine appends. Each event gets a server-wide sequence number, strictly increasing
/// from 1. The log keeps the newest `retention` events and drops older ones.
///
/// Reading never waits for the engine: every method takes one lock, held briefly (``visit(after:matching:limit:_:)``
/// holds it while its caller encodes a batch), so a network thread can call them directly. A watcher replays and then follows with no gap and no duplicate:
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
/// With an ``EventStore`` behind it the log is durable: appended events go to the store's
/// group commit and become visible (to reads, waiters and ``lastSequence``) only once they are
/// committed, the "durable watermark"; events older than the memory retains are read from the
/// store. Without a store every appended event is visible at once.
public final class EventLog: Sendable {
    /// The most events retained in memory.
    public let retention: Int

    /// The most events one read examines, bounding how long it holds the lock; a read that stops
    /// early returns with ``EventRead/events(_:scannedThrough:)`` short of the end.
    static let scanBudget = 8_192
    /// The most events one read fetches from the store.
    static let storeScanBudget = 512

    private struct State {
        var ring: EventRing
        /// The newest event appended (committed or not).
        var lastSequence: UInt64 = 0
        /// The newest event visible to readers: committed to the store (or appended, without one).
        var visibleSequence: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
        var nextWaiterID: UInt64 = 0
        /// Callbacks waiting for a sequence to be committed.
        var commitWaiters: [(sequence: UInt64, callback: @Sendable () -> Void)] = []

        /// The sequence of the oldest event in memory, or `lastSequence + 1` when none is.
        var oldestRetained: UInt64 {
            lastSequence - UInt64(ring.count) + 1
        }
    }

    /// Where the read of an old range goes.
    private enum VisitPlan {
        case answer(EventVisit)
        case store(through: UInt64, oldestInMemory: UInt64)
    }

    // Sendable because all mutable state lives in the Mutex (itself Sendable), the stored
    // callbacks are @Sendable and the store is Sendable.
    private let state: Mutex<State>
    private let store: (any EventStore)?
    /// Told of each read of the store that failed: the range asked for and the error.
    private let readFailed: @Sendable (_ after: UInt64, _ through: UInt64, _ error: any Error) -> Void

    /// Creates an empty log that retains the newest `retention` events (at least 1) in memory,
    /// in front of `store` when given; `readFailed` hears of reads of the store that fail (to
    /// log them).
    init(
        retention: Int,
        store: (any EventStore)? = nil,
        readFailed: @escaping @Sendable (_ after: UInt64, _ through: UInt64, _ error: any Error) -> Void = { _, _, _ in }
    ) {
        let retention = max(1, retention)
        self.retention = retention
        self.store = store
        self.readFailed = readFailed
        self.state = Mutex(State(ring: EventRing(capacity: retention)))
        store?.setCommitHandler { [weak self] sequence in
            self?.markCommitted(through: sequence)
        }
    }

    /// The sequence of the newest visible event (committed, with a store), or 0 when nothing
    /// was ever appended.
    public var lastSequence: UInt64 {
        state.withLock { $0.visibleSequence }
    }

    /// The sequence the next appended event gets.
    var nextSequence: UInt64 {
        state.withLock { $0.lastSequence + 1 }
    }

    /// The newest appended event, committed or not (``lastSequence`` is the newest visible one):
    /// the furthest a reader may start after.
    public var lastAppendedSequence: UInt64 {
        state.withLock { $0.lastSequence }
    }

    /// The sequence of the oldest retained event, in memory or in the store
    /// (`lastSequence + 1` when there is none).
    public var oldestRetainedSequence: UInt64 {
        let inMemory = state.withLock { $0.oldestRetained }
        guard let stored = store?.oldestStoredSequence else { return inMemory }
        return min(stored, inMemory)
    }

    /// Continues the numbering after `sequence`, the newest stored one; call before any append.
    func resume(after sequence: UInt64) {
        state.withLock { state in
            precondition(state.lastSequence == 0, "resume(after:) must come before any append")
            state.lastSequence = sequence
            state.visibleSequence = sequence
        }
    }

    /// Appends `events` in order, stamping each with the next sequence number (a step's is its
    /// event's); without a store, wakes every waiter (with one, the commit does).
    ///
    /// - Returns: The sequence given to the first event (`lastSequence + 1` if `events` is empty).
    @discardableResult
    func append(contentsOf events: consuming [LogEvent]) -> UInt64 {
        guard !events.isEmpty else { return nextSequence }
        var events = events
        let (first, fired) = state.withLock { state -> (UInt64, [@Sendable () -> Void]) in
            let first = state.lastSequence + 1
            Self.stamp(&events, in: &state, inPlace: store != nil)
            if let store {
                // Under the lock, so the store receives batches in sequence order.
                store.enqueue(.events(events))
                return (first, [])
            }
            return (first, Self.advanceVisible(&state, to: state.lastSequence))
        }
        // Outside the lock: a callback may read the log or register again.
        for callback in fired {
            callback()
        }
        return first
    }

    /// Appends `events` as ``append(contentsOf:)`` does and hands `workflow`'s current state to
    /// the store in the same commit, so a crash keeps both or neither.
    ///
    /// `workflow` is an autoclosure, read only with a store: a caller passes a record's
    /// workflow, and reading a class's stored property as an argument copies it whole.
    ///
    /// - Returns: The sequence given to the first event.
    @discardableResult
    func append(
        contentsOf events: consuming [LogEvent], persisting workflow: @autoclosure () -> Workflow, firstSequence: UInt64
    ) -> UInt64 {
        append(contentsOf: events, keeping: [], persisting: workflow(), firstSequence: firstSequence)
    }

    /// Appends `events` as ``append(contentsOf:)`` does and hands `records` and, if given,
    /// `workflow`'s current state to the store in the same commit, so a crash keeps all or
    /// none. Without a store the records and the state are dropped (and `workflow` not read).
    ///
    /// - Returns: The sequence given to the first event.
    @discardableResult
    func append(
        contentsOf events: consuming [LogEvent],
        keeping records: [StoredRecord],
        persisting workflow: @autoclosure () -> Workflow?,
        firstSequence: UInt64
    ) -> UInt64 {
        guard let store else { return append(contentsOf: events) }
        // The writes are made before the lock: a closure reads what it captures by copying
        // it, and a snapshot is a whole tree (a reference per string and array it holds).
        var writes: [StoreWrite] = []
        writes.reserveCapacity(3)
        if !records.isEmpty {
            writes.append(.records(records))
        }
        if var snapshot = workflow() {
            Self.leaveRunningJobsStepsToStore(in: &snapshot)
            writes.append(.workflow(snapshot, firstSequence: firstSequence))
        }
        guard !writes.isEmpty else { return append(contentsOf: events) }
        var events = events
        return state.withLock { state -> UInt64 in
            let first = state.lastSequence + 1
            Self.stamp(&events, in: &state, inPlace: true)
            if !events.isEmpty {
                writes.append(.events(events))
            }
            store.enqueue(contentsOf: writes)
            return first
        }
    }

    /// Trims `snapshot`, a copy of a workflow, for the store: the store counts each job's steps,
    /// in memory or not, and keeps none of them, so a running job's steps in memory are left out,
    /// counted in `storedStepCount`. The engine goes on appending to those, and every append
    /// while the snapshot shared them would copy them all; a finished job's steps it only reads.
    /// (A job with no steps in memory is left alone: the jobs stay shared with the engine's tree
    /// unless there is something to trim.)
    private static func leaveRunningJobsStepsToStore(in snapshot: inout Workflow) {
        for index in snapshot.jobs.indices
        where snapshot.jobs[index].status == .running && !snapshot.jobs[index].steps.isEmpty {
            snapshot.jobs[index].leaveStepsToStore()
        }
    }

    /// Gives the events the next sequence numbers and adds them to the ring. `inPlace` (with a
    /// store, which then gets `events`) stamps the array the caller gave up instead of a stamped
    /// copy: one allocation less per append. Without it `events` is left as it is, so an array
    /// its caller still holds is not copied for nothing.
    ///
    /// (Two loops: with the branch inside one, Swift 6.3.1's optimizer made `events` unique
    /// before the loop whichever way it went, copying an array the caller still held.)
    private static func stamp(_ events: inout [LogEvent], in state: inout State, inPlace: Bool) {
        guard inPlace else {
            for var event in events {
                state.lastSequence += 1
                event.sequence = state.lastSequence
                state.ring.append(event)
            }
            return
        }
        for index in events.indices {
            state.lastSequence += 1
            events[index].sequence = state.lastSequence
            state.ring.append(events[index])
        }
    }

    /// Appends one event; see ``append(contentsOf:)``.
    ///
    /// - Returns: The event's sequence.
    @discardableResult
    func append(_ event: LogEvent) -> UInt64 {
        append(contentsOf: [event])
    }

    /// Hands a workflow's current state to the store (nothing without one, and `workflow` not
    /// read), ordered with the appends around it.
    func persist(_ workflow: @autoclosure () -> Workflow, firstSequence: UInt64) {
        guard let store else { return }
        var snapshot = workflow()
        Self.leaveRunningJobsStepsToStore(in: &snapshot)
        // Boxed before the lock: the closure copies what it captures, and a box is one reference.
        let write = StoreWrite.workflow(snapshot, firstSequence: firstSequence)
        state.withLock { _ in store.enqueue(write) }
    }

    /// Tells the store that a finished workflow was forgotten.
    func forget(workflowID: String) {
        guard let store else { return }
        state.withLock { _ in store.enqueue(.forget(workflowID: workflowID)) }
    }

    /// Makes the events through `sequence` visible and fires the waiters that were waiting for them.
    func markCommitted(through sequence: UInt64) {
        let fired = state.withLock { state in
            Self.advanceVisible(&state, to: min(sequence, state.lastSequence))
        }
        for callback in fired {
            callback()
        }
    }

    /// Raises the visible sequence and returns the callbacks to fire outside the lock.
    private static func advanceVisible(_ state: inout State, to sequence: UInt64) -> [@Sendable () -> Void] {
        guard sequence > state.visibleSequence else { return [] }
        state.visibleSequence = sequence
        var fired: [@Sendable () -> Void] = []
        if !state.waiters.isEmpty {
            fired.append(contentsOf: state.waiters.values)
            state.waiters = [:]
        }
        if !state.commitWaiters.isEmpty {
            var waiting: [(sequence: UInt64, callback: @Sendable () -> Void)] = []
            for waiter in state.commitWaiters {
                if waiter.sequence <= sequence {
                    fired.append(waiter.callback)
                } else {
                    waiting.append(waiter)
                }
            }
            state.commitWaiters = waiting
        }
        return fired
    }

    /// Calls `callback` once the event with `sequence` is visible: at once (on this thread)
    /// when it already is, else on the committing thread right after its commit.
    ///
    /// ``DurableResult/whenDurable(_:)`` waits here, for answers that must not outrun the disk.
    ///
    /// - Parameters:
    ///   - sequence: The event to wait for.
    ///   - callback: Keep it short and non-blocking.
    func whenCommitted(through sequence: UInt64, _ callback: @escaping @Sendable () -> Void) {
        let isVisible = state.withLock { state in
            if sequence <= state.visibleSequence { return true }
            state.commitWaiters.append((sequence, callback))
            return false
        }
        if isVisible {
            callback()
        }
    }

    /// How far the store must commit before more is appended, when it lags behind.
    ///
    /// - Parameter limit: How many appended events may wait for their commit.
    /// - Returns: `nil` when no more than `limit` wait (always, without a store); else the
    ///   sequence through which the store must commit for half of `limit` to be left waiting.
    func commitToAwait(whenMoreUncommittedThan limit: Int) -> UInt64? {
        guard store != nil else { return nil }
        return state.withLock { state in
            guard state.lastSequence - state.visibleSequence > UInt64(limit) else { return nil }
            return state.lastSequence - UInt64(limit / 2)
        }
    }

    /// The sequence of the oldest event held in memory (`lastAppendedSequence + 1` when none is).
    public var oldestSequenceInMemory: UInt64 {
        state.withLock { $0.oldestRetained }
    }

    /// Whether the events after `sequence` are read from memory (else from the store, which
    /// may block on the disk: a caller on an event loop reads them elsewhere).
    public func holdsInMemory(after sequence: UInt64) -> Bool {
        state.withLock { sequence >= $0.oldestRetained - 1 || store == nil }
    }

    /// Reads the retained events after `sequence` that match `filter`, in order.
    ///
    /// Examines visible events from `sequence + 1` on until it has `limit` matches, reaches the
    /// newest visible event, or has examined ``scanBudget`` events (fewer when they come from
    /// the store).
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the caller has seen (or scanned); 0 for the beginning.
    ///   - filter: Which events to return.
    ///   - limit: The most events to return (at least 1 is used).
    /// - Returns: The matches and the last sequence examined, or
    ///   ``EventRead/truncated(oldestRetained:)`` when the event after `sequence` was dropped.
    public func read(after sequence: UInt64, matching filter: EventFilter, limit: Int) -> EventRead {
        var matches: [LogEvent] = []
        switch visit(after: sequence, matching: filter, limit: limit, { event in
            matches.append(copy event)
            return true
        }) {
        case .scanned(let through):
            return .events(matches, scannedThrough: through)
        case .truncated(let oldestRetained):
            return .truncated(oldestRetained: oldestRetained)
        case .unavailable(let reason):
            return .unavailable(reason: reason)
        }
    }

    /// Examines events as ``read(after:matching:limit:)`` does, but lends each match to `body`
    /// instead of copying it out: a watcher encodes events straight from the log.
    ///
    /// `body` runs while the log is locked (for events still in memory): keep it short, and
    /// never call into the log or anything that does.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the caller has seen (or scanned); 0 for the beginning.
    ///   - filter: Which events to visit.
    ///   - limit: The most events to visit (at least 1 is used).
    ///   - body: Gets each match in order; returns `false` to stop right after that event.
    /// - Returns: The last sequence examined (the event `body` stopped at, if it did), or
    ///   ``EventVisit/truncated(oldestRetained:)`` when the event after `sequence` was dropped.
    public func visit(
        after sequence: UInt64,
        matching filter: EventFilter,
        limit: Int,
        _ body: (borrowing LogEvent) -> Bool
    ) -> EventVisit {
        let limit = max(1, limit)
        let plan = state.withLock { state -> VisitPlan in
            let oldest = state.oldestRetained
            if sequence < oldest - 1 {
                guard store != nil else { return .answer(.truncated(oldestRetained: oldest)) }
                return .store(through: min(oldest - 1, state.visibleSequence), oldestInMemory: oldest)
            }
            guard sequence < state.visibleSequence else {
                return .answer(.scanned(through: sequence))
            }
            var visited = 0
            var current = sequence
            let end = min(state.visibleSequence, sequence + UInt64(Self.scanBudget))
            // An unfiltered visit reads each event once (each read copies the event).
            let selectsEverything = filter.selectsEverything
            while current < end && visited < limit {
                current += 1
                let offset = Int(current - oldest)
                guard selectsEverything || filter.matches(state.ring[offset]) else { continue }
                visited += 1
                guard body(state.ring[offset]) else { break }
            }
            return .answer(.scanned(through: current))
        }
        switch plan {
        case .answer(let visit):
            return visit
        case .store(let through, let oldestInMemory):
            return readStore(after: sequence, through: through, oldestInMemory: oldestInMemory, matching: filter, limit: limit).visit(body)
        }
    }

    /// Reads events older than the memory holds from the store. A range the store no longer
    /// holds is ``EventRead/truncated(oldestRetained:)``, one it cannot read (a disk error) is
    /// ``EventRead/unavailable(reason:)``, logged: never a silent skip, and never a gap claimed
    /// for events that are still there.
    private func readStore(
        after sequence: UInt64, through: UInt64, oldestInMemory: UInt64, matching filter: EventFilter, limit: Int
    ) -> EventRead {
        guard let store, sequence < through else { return .events([], scannedThrough: sequence) }
        let oldestStored = store.oldestStoredSequence ?? oldestInMemory
        if sequence + 1 < oldestStored {
            return .truncated(oldestRetained: min(oldestStored, oldestInMemory))
        }
        let scan: StoredEventScan
        do {
            // Every event is a match when nothing is filtered out: examine no more than are wanted.
            let scanLimit = filter.selectsEverything ? min(limit, Self.storeScanBudget) : Self.storeScanBudget
            scan = try store.events(after: sequence, through: through, matching: filter, scanLimit: scanLimit, limit: limit)
        } catch {
            readFailed(sequence, through, error)
            return .unavailable(reason: "the events after \(sequence) cannot be read from the store: \(error)")
        }
        guard let scanned = scan.scanned, scanned.lowerBound == sequence + 1 else {
            // Pruned since the bounds were read: the oldest event left is the first examined.
            return .truncated(oldestRetained: scan.scanned?.lowerBound ?? oldestInMemory)
        }
        return .events(scan.events, scannedThrough: scanned.upperBound)
    }

    /// Registers a one-shot `callback` for the next visible append, unless a visible event newer
    /// than `sequence` already exists.
    ///
    /// The check and the registration happen under one lock with the appends, so no append can
    /// slip between a read that found nothing and the registration.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the caller has read or scanned.
    ///   - callback: Called once, outside the lock, on the appending (or committing) thread,
    ///     right after the next append becomes visible. Keep it short and non-blocking (e.g.
    ///     schedule work on an event loop).
    /// - Returns: A handle for ``cancel(_:)``, or `nil` (nothing registered) when an event
    ///   newer than `sequence` exists: read again instead.
    public func notifyOnAppend(
        after sequence: UInt64,
        _ callback: @escaping @Sendable () -> Void
    ) -> AppendWaiter? {
        state.withLock { state in
            guard state.visibleSequence <= sequence else { return nil }
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
