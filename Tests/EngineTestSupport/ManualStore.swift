import Synchronization
import WorkflowEngine
import WorkflowModel

/// An ``EventStore`` that commits only when the test says so, to observe the durable watermark.
package final class ManualStore: EventStore {
    private struct State {
        var queued: [StoreWrite] = []
        var committed: [WorkflowModel.LogEvent] = []
        var handler: (@Sendable (UInt64) -> Void)?
        var forgotten: [String] = []
        var records: [String: StoredRecord] = [:]
        var groups: [[StoreWrite]] = []
        var failsReads = false
        var workflows: [String: Workflow] = [:]
        var eventReadLimits: [Int] = []
        var scanFilters: [EventFilter] = []
        var reportedOldestSequence: UInt64?
    }

    // Sendable: every mutable field is in the Mutex.
    private let state = Mutex(State())

    /// Creates an empty store.
    package init() {}

    package func recover() throws -> RecoveredState {
        RecoveredState(workflows: [], lastSequence: 0)
    }

    package func setCommitHandler(_ handler: @escaping @Sendable (UInt64) -> Void) {
        state.withLock { $0.handler = handler }
    }

    package func enqueue(_ write: StoreWrite) {
        state.withLock { state in
            state.queued.append(write)
            state.groups.append([write])
        }
    }

    package func enqueue(contentsOf writes: [StoreWrite]) {
        state.withLock { state in
            state.queued.append(contentsOf: writes)
            state.groups.append(writes)
        }
    }

    /// Every call of `enqueue`, in order: the writes the real store commits together.
    package var enqueuedGroups: [[StoreWrite]] {
        state.withLock { $0.groups }
    }

    package func events(after sequence: UInt64, through: UInt64, limit: Int) throws -> [WorkflowModel.LogEvent] {
        try state.withLock { state in
            state.eventReadLimits.append(limit)
            if state.failsReads { throw ReadFailure() }
            return Array(state.committed.filter { $0.sequence > sequence && $0.sequence <= through }.prefix(limit))
        }
    }

    package func events(
        after sequence: UInt64, through: UInt64, matching filter: EventFilter, scanLimit: Int, limit: Int
    ) throws -> StoredEventScan {
        state.withLock { $0.scanFilters.append(filter) }
        return StoredEventScan(scanning: try events(after: sequence, through: through, limit: scanLimit), matching: filter, limit: limit)
    }

    /// The filter of every filtered read of events, in order.
    package var scanFilters: [EventFilter] {
        state.withLock { $0.scanFilters }
    }

    /// The `limit` of every read of events, in order: how many rows each asked for.
    package var eventReadLimits: [Int] {
        state.withLock { $0.eventReadLimits }
    }

    /// What a read throws while ``failsReads`` is set.
    package struct ReadFailure: Error, CustomStringConvertible {
        package var description: String { "disk I/O error" }
    }

    /// Whether reads of events throw, as a failing disk would.
    package var failsReads: Bool {
        get { state.withLock { $0.failsReads } }
        set { state.withLock { $0.failsReads = newValue } }
    }

    package func steps(ofWorkflow id: String, through: UInt64, jobIDs: [String]) throws -> [StoredStep] {
        try state.withLock { state in
            if state.failsReads { throw ReadFailure() }
            return state.committed.compactMap { event in
                guard event.workflowID == id, event.sequence <= through, let step = event.step, let job = event.job else { return nil }
                return StoredStep(jobPosition: job.position, step: step)
            }
        }
    }

    package func workflow(id: String, stepsThrough: UInt64?) throws -> Workflow? {
        try state.withLock { state in
            if state.failsReads { throw ReadFailure() }
            guard var workflow = state.workflows[id] else { return nil }
            for index in workflow.jobs.indices {
                workflow.jobs[index].storedStepCount = 0
            }
            let forgotten = state.forgotten.contains(id)
            for event in state.committed where !forgotten && event.workflowID == id {
                guard let step = event.step, let job = event.job, workflow.jobs.indices.contains(job.position) else { continue }
                if let stepsThrough {
                    if event.sequence <= stepsThrough { workflow.jobs[job.position].steps.append(step) }
                } else {
                    workflow.jobs[job.position].storedStepCount += 1
                }
            }
            return workflow
        }
    }

    package func workflows(ids: [String]) throws -> [String: Workflow] {
        var workflows: [String: Workflow] = [:]
        for id in ids {
            workflows[id] = try workflow(id: id, stepsThrough: nil)
        }
        return workflows
    }

    package func records(in collection: String) throws -> [StoredRecord] {
        state.withLock { state in state.records.values.filter { $0.collection == collection } }
    }

    package var oldestStoredSequence: UInt64? {
        state.withLock { $0.reportedOldestSequence ?? $0.committed.first?.sequence }
    }

    /// What ``oldestStoredSequence`` reports instead of the truth while set: the bounds a
    /// reader saw just before a prune.
    package var reportedOldestSequence: UInt64? {
        get { state.withLock { $0.reportedOldestSequence } }
        set { state.withLock { $0.reportedOldestSequence = newValue } }
    }

    package func flush() {
        commitQueued()
    }

    /// The workflows the engine forgot, in order (as committed).
    package var forgotten: [String] {
        state.withLock { $0.forgotten }
    }

    /// Drops the committed events before `sequence`, as pruning does.
    package func prune(before sequence: UInt64) {
        state.withLock { $0.committed.removeAll { $0.sequence < sequence } }
    }

    /// The writes queued and not yet committed.
    package var queuedCount: Int {
        state.withLock { $0.queued.count }
    }

    /// The events committed so far, oldest first.
    package var committedEvents: [WorkflowModel.LogEvent] {
        state.withLock { $0.committed }
    }

    /// Commits everything queued and reports the newest sequence, as the real writer does.
    package func commitQueued() {
        let (newest, handler) = state.withLock { state -> (UInt64, (@Sendable (UInt64) -> Void)?) in
            for write in state.queued {
                switch write {
                case .events(let events): state.committed.append(contentsOf: events)
                case .forget(let workflowID):
                    state.forgotten.append(workflowID)
                    state.workflows[workflowID] = nil
                case .workflow(var workflow, _):
                    // As the real store keeps it: the steps are counted, not kept.
                    for index in workflow.jobs.indices {
                        workflow.jobs[index].leaveStepsToStore()
                    }
                    state.workflows[workflow.id] = workflow
                case .records(let records):
                    for record in records where (state.records[record.collection + "/" + record.key]?.revision ?? 0) < record.revision {
                        state.records[record.collection + "/" + record.key] = record
                    }
                }
            }
            state.queued = []
            return (state.committed.last?.sequence ?? 0, state.handler)
        }
        handler?(newest)
    }
}
