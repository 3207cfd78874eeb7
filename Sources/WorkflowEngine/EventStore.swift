import WorkflowModel

/// A durable home for the engine's workflows and events, behind the ``EventLog``.
///
/// The engine never waits for the disk: the log hands each change to ``enqueue(_:)`` and goes
/// on; the store commits what accumulated in one transaction (group commit) on a thread of its
/// own and then reports the newest committed sequence to the handler set with
/// ``setCommitHandler(_:)``. Only committed events are visible to watchers, so no watcher can
/// see an event that a crash then erases.
///
/// ```swift
/// let store = try SQLiteEventStore(configuration: .init(directory: "workflow-data"), logger: logger)
/// let engine = WorkflowEngine(templates: .builtIn, store: store, logger: logger)
/// try await engine.restore()      // load, resolve interrupted workflows, continue sequences
/// ```
public protocol EventStore: AnyObject, Sendable {
    /// Reads everything retained: the workflows and the sequence bounds. A RUNNING workflow
    /// comes with its steps (the engine resumes it); an ended one with its jobs'
    /// `storedStepCount` instead, its steps left in the store for ``steps(ofWorkflow:through:)``.
    ///
    /// - Throws: When the data cannot be read; the caller must not go on with an empty state.
    func recover() throws -> RecoveredState

    /// Sets the function called, on the store's thread, after each commit with the newest
    /// committed sequence. Set it once, before the first ``enqueue(_:)``.
    func setCommitHandler(_ handler: @escaping @Sendable (UInt64) -> Void)

    /// Queues writes for the next commit, in order; returns at once. Callers queue events in
    /// sequence order, each once (``EventLog`` does, under its lock). A snapshot's jobs may hold
    /// steps: a store keeps their count, never the steps (see ``StoreWrite/workflow(_:firstSequence:)``).
    func enqueue(_ write: StoreWrite)

    /// Queues writes for the next commit, in order, all in the same transaction: a crash keeps
    /// all of them or none; returns at once.
    func enqueue(contentsOf writes: [StoreWrite])

    /// The committed events with sequences in `(sequence, through]`, oldest first, at most `limit`.
    ///
    /// - Throws: When the store cannot be read.
    func events(after sequence: UInt64, through: UInt64, limit: Int) throws -> [LogEvent]

    /// The committed events after `sequence` that `filter` matches.
    ///
    /// The store examines the events in `(sequence, through]` in order, from the first one it
    /// holds after `sequence` and without skipping any (a gap in the sequences ends the scan),
    /// at most `scanLimit` of them, and stops after the `limit`th match. The log tells from the
    /// first sequence examined whether the events after `sequence` were pruned meanwhile.
    ///
    /// A store that can tell an event's workflow without decoding it (the SQLite store: from
    /// its records' first fields) decodes, for a filter naming a workflow, only that workflow's
    /// events; the default implementation decodes every event examined, read with
    /// ``events(after:through:limit:)``.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the reader has seen.
    ///   - through: The newest sequence to examine.
    ///   - filter: Which events to return.
    ///   - scanLimit: The most events to examine.
    ///   - limit: The most events to return.
    /// - Returns: The matches, oldest first, and the sequences examined.
    /// - Throws: When the store cannot be read.
    func events(after sequence: UInt64, through: UInt64, matching filter: EventFilter, scanLimit: Int, limit: Int) throws -> StoredEventScan

    /// The stored steps of workflow `id` with sequences up to `through`, oldest first, each with
    /// its job's position. A step whose id is its job's numbered id shares `jobIDs[position]`
    /// (the workflow's job ids by position, as far as known) for it.
    ///
    /// - Throws: When the store cannot be read.
    func steps(ofWorkflow id: String, through: UInt64, jobIDs: [String]) throws -> [StoredStep]

    /// The stored tree of workflow `id` (as last committed), or `nil` when none is stored; with
    /// `stepsThrough`, its steps with sequences up to it are read into its jobs, else each
    /// job's `storedStepCount` counts its stored steps. Tree and steps are read in one
    /// transaction.
    ///
    /// - Throws: When the store cannot be read.
    func workflow(id: String, stepsThrough: UInt64?) throws -> Workflow?

    /// The stored trees of the workflows `ids` names that the store holds, by id, each job
    /// counting its stored steps, read in one transaction (a page of a listing).
    ///
    /// - Throws: When the store cannot be read.
    func workflows(ids: [String]) throws -> [String: Workflow]

    /// Every stored record of `collection` (see ``StoredRecord``), in no particular order.
    ///
    /// - Throws: When the store cannot be read.
    func records(in collection: String) throws -> [StoredRecord]

    /// The oldest sequence the store holds whole, from which on a replay reads every event
    /// (steps kept for their workflows may be older), or `nil` when none is stored.
    var oldestStoredSequence: UInt64? { get }

    /// Blocks until everything queued so far is committed (or failed to commit).
    func flush()
}

extension EventStore {
    /// Reads the events examined with ``events(after:through:limit:)`` and keeps the matches.
    public func events(after sequence: UInt64, through: UInt64, matching filter: EventFilter, scanLimit: Int, limit: Int) throws -> StoredEventScan {
        StoredEventScan(scanning: try events(after: sequence, through: through, limit: scanLimit), matching: filter, limit: limit)
    }
}
