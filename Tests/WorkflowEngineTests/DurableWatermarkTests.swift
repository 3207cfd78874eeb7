import Synchronization
import EngineTestSupport
import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("EventLog with a store: the durable watermark")
struct DurableWatermarkTests {
    private static func event(_ workflowID: String = "wf-a") -> WorkflowModel.LogEvent {
        WorkflowModel.LogEvent(timestampMs: 0, kind: .stepLogged, level: .info, message: "m", workflowID: workflowID, workflowType: "T")
    }

    /// A log retaining `retention` events in memory in front of a store that committed
    /// `events`, appended in order (sequences 1, 2, …).
    private static func committedLog(retention: Int, committing events: [WorkflowModel.LogEvent]) -> (ManualStore, EventLog) {
        let store = ManualStore()
        let log = EventLog(retention: retention, store: store)
        log.append(contentsOf: events)
        store.commitQueued()
        return (store, log)
    }

    @Test("appended events stay invisible to reads and waiters until the store committed them")
    func invisibleUntilCommitted() {
        let store = ManualStore()
        let log = EventLog(retention: 100, store: store)
        let fired = Mutex(0)
        let waiter = log.notifyOnAppend(after: 0) { fired.withLock { $0 += 1 } }
        #expect(waiter != nil)

        #expect(log.append(contentsOf: [Self.event(), Self.event()]) == 1)

        #expect(log.lastSequence == 0)
        #expect(log.read(after: 0, matching: .all, limit: 10) == .events([], scannedThrough: 0))
        #expect(fired.withLock { $0 } == 0)
        #expect(store.queuedCount == 1)

        store.commitQueued()

        #expect(log.lastSequence == 2)
        #expect(fired.withLock { $0 } == 1)
        guard case .events(let events, _) = log.read(after: 0, matching: .all, limit: 10) else {
            Issue.record("expected events")
            return
        }
        #expect(events.map(\.sequence) == [1, 2])
    }

    @Test("a store that cannot be read answers unavailable and is reported, never a gap for events that are there")
    func unreadableStoreIsNotAGap() {
        let store = ManualStore()
        let failures = Mutex<[String]>([])
        let log = EventLog(retention: 2, store: store) { after, through, error in
            failures.withLock { $0.append("\(after)...\(through): \(error)") }
        }
        log.append(contentsOf: (0..<5).map { _ in Self.event() })
        store.commitQueued()
        store.failsReads = true
        guard case .unavailable(let reason) = log.read(after: 0, matching: .all, limit: 10) else {
            Issue.record("expected unavailable")
            return
        }
        #expect(reason.contains("disk I/O error"))
        #expect(failures.withLock { $0 } == ["0...3: disk I/O error"])
        store.failsReads = false
        guard case .events(let events, _) = log.read(after: 0, matching: .all, limit: 10) else {
            Issue.record("expected events")
            return
        }
        #expect(events.map(\.sequence) == [1, 2, 3])
    }

    @Test("whenCommitted fires once the sequence is committed, at once when it already is")
    func whenCommitted() {
        let store = ManualStore()
        let log = EventLog(retention: 100, store: store)
        let acknowledged = Mutex<[Int]>([])
        let first = log.append(Self.event())
        log.whenCommitted(through: first) { acknowledged.withLock { $0.append(1) } }
        let second = log.append(Self.event())
        log.whenCommitted(through: second) { acknowledged.withLock { $0.append(2) } }
        #expect(acknowledged.withLock { $0 }.isEmpty)

        store.commitQueued()
        #expect(acknowledged.withLock { $0 } == [1, 2])
        log.whenCommitted(through: second) { acknowledged.withLock { $0.append(3) } }
        #expect(acknowledged.withLock { $0 } == [1, 2, 3])
    }

    @Test("events older than memory holds are read from the store; a range it lost is truncated")
    func olderEventsComeFromTheStore() {
        let (_, log) = Self.committedLog(retention: 3, committing: (0..<10).map { _ in Self.event() })

        guard case .events(let events, let scanned) = log.read(after: 2, matching: .all, limit: 100) else {
            Issue.record("expected events from the store")
            return
        }
        #expect(events.map(\.sequence) == [3, 4, 5, 6, 7])
        #expect(scanned == 7)
        #expect(log.oldestRetainedSequence == 1)
    }

    @Test("a read of the store examines only the events it returns when every event matches; a filtered one examines a whole budget")
    func storeReadsFetchWhatTheyNeed() {
        let (store, log) = Self.committedLog(retention: 3, committing: (0..<10).map { Self.event($0.isMultiple(of: 2) ? "wf-a" : "wf-b") })

        guard case .events(let first, let firstScanned) = log.read(after: 0, matching: .all, limit: 2),
              case .events(let filtered, let filteredScanned) = log.read(after: 0, matching: EventFilter(minimumLevel: .info), limit: 2)
        else {
            Issue.record("expected events from the store")
            return
        }
        #expect(first.map(\.sequence) == [1, 2])
        #expect(firstScanned == 2)
        #expect(filtered.map(\.sequence) == [1, 2])
        #expect(filteredScanned == 2)
        #expect(store.eventReadLimits == [2, EventLog.storeScanBudget])
    }

    @Test("a filtered read of the store hands the store the filter, counts only events that pass all of it, and scans on past the others")
    func filteredStoreReads() {
        let (store, log) = Self.committedLog(retention: 2, committing: (0..<10).map { index in
            var event = Self.event(index < 8 ? "wf-a" : "wf-b")
            event.level = index == 1 ? .debug : .info
            return event
        })

        guard case .events(let others, let othersScanned) = log.read(after: 0, matching: EventFilter(workflowID: "wf-b"), limit: 10),
              case .events(let infoEvents, let infoScanned) = log.read(
                  after: 0, matching: EventFilter(workflowID: "wf-a", minimumLevel: .info), limit: 3
              )
        else {
            Issue.record("expected events from the store")
            return
        }
        #expect(others.isEmpty)
        #expect(othersScanned == 8)
        #expect(infoEvents.map(\.sequence) == [1, 3, 4])
        #expect(infoScanned == 4)
        #expect(store.scanFilters == [EventFilter(workflowID: "wf-b"), EventFilter(workflowID: "wf-a", minimumLevel: .info)])
    }

    @Test("a scan of stored events ends at a gap in their sequences and after its limit of matches")
    func scanRules() {
        let examined = [1, 2, 4, 5].map { sequence in
            var event = Self.event(sequence == 2 ? "wf-b" : "wf-a")
            event.sequence = UInt64(sequence)
            return event
        }

        let all = StoredEventScan(scanning: examined, matching: .all, limit: 10)
        #expect(all.events.map(\.sequence) == [1, 2])
        #expect(all.scanned == 1...2)
        let limited = StoredEventScan(scanning: examined, matching: EventFilter(workflowID: "wf-b"), limit: 1)
        #expect(limited == StoredEventScan(events: [examined[1]], scanned: 1...2))
        #expect(StoredEventScan(scanning: [], matching: .all, limit: 10) == StoredEventScan(events: [], scanned: nil))
    }

    @Test("events pruned between the read of the store's bounds and the read of its events read as truncated at the oldest left")
    func prunedDuringTheRead() {
        let (store, log) = Self.committedLog(retention: 2, committing: (0..<10).map { _ in Self.event() })
        store.reportedOldestSequence = 1
        store.prune(before: 5)

        #expect(log.read(after: 1, matching: .all, limit: 3) == .truncated(oldestRetained: 5))
        #expect(log.read(after: 1, matching: EventFilter(workflowID: "wf-a"), limit: 3) == .truncated(oldestRetained: 5))
        #expect(log.read(after: 4, matching: EventFilter(workflowID: "wf-a"), limit: 3) == .events(Array(store.committedEvents[0..<3]), scannedThrough: 7))
    }

    @Test("a range pruned from the store and gone from memory reads as truncated at the oldest stored event")
    func prunedRangeIsTruncated() {
        let (store, log) = Self.committedLog(retention: 3, committing: (0..<10).map { _ in Self.event() })
        store.prune(before: 5)

        #expect(log.read(after: 1, matching: .all, limit: 100) == .truncated(oldestRetained: 5))
        #expect(log.oldestRetainedSequence == 5)
        guard case .events(let events, _) = log.read(after: 4, matching: .all, limit: 100) else {
            Issue.record("expected events from the store")
            return
        }
        #expect(events.first?.sequence == 5)
    }

    @Test("a started workflow is durable only once its first event is committed; a repeat of its request id at once")
    func startIsDurableOnceCommitted() async throws {
        let store = ManualStore()
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: EngineTesting.logger)
        try await engine.restore()
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "1", "steps": "0", "step_delay_ms": "0"], requestID: "once")
        let started = try await engine.start(request)
        let acknowledged = Mutex(false)
        started.whenDurable { acknowledged.withLock { $0 = true } }
        #expect(!acknowledged.withLock { $0 })
        #expect(await engine.hasVisiblyEnded(workflowID: started.value.id) == false)

        store.commitQueued()
        #expect(acknowledged.withLock { $0 })
        let repeated = try await engine.start(request)
        #expect(repeated.value.id == started.value.id)
        let repeatAcknowledged = Mutex(false)
        repeated.whenDurable { repeatAcknowledged.withLock { $0 = true } }
        #expect(repeatAcknowledged.withLock { $0 }, "the first start's event is committed already")
        await engine.shutdown()
    }

    @Test("a retry is durable only once its WORKFLOW_RETRIED event is committed")
    func retryIsDurableOnceCommitted() async throws {
        let store = ManualStore()
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: EngineTesting.logger)
        try await engine.restore()
        let started = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "2", "step_delay_ms": "0", "fail_job": "1"])
        )
        // Committed here, between checks, so that nothing commits behind the test's back later.
        while try await engine.workflow(id: started.value.id).status == .running {
            store.commitQueued()
            try await Task.sleep(for: .milliseconds(1))
        }
        store.commitQueued()
        let failedAt = engine.events.lastSequence
        #expect(try store.events(after: failedAt - 1, through: failedAt, limit: 1).first?.kind == .workflowFailed)

        let retried = try await engine.retry(id: started.value.id)
        #expect(retried.value.workflow.attempt == 2)
        #expect(retried.value.resumedJob.name == "Fetch")
        let acknowledged = Mutex(false)
        retried.whenDurable { acknowledged.withLock { $0 = true } }
        #expect(!acknowledged.withLock { $0 })

        store.commitQueued()
        #expect(acknowledged.withLock { $0 })
        let committed = try store.events(after: failedAt, through: .max, limit: 1)
        #expect(committed.first?.kind == .workflowRetried)
        await engine.shutdown()
    }
}

@Suite("Workflow retention by age")
struct WorkflowRetentionByAgeTests {
    @Test("a workflow that finished longer ago than the maximum age is forgotten, in the store too")
    func forgetsOldWorkflows() async throws {
        let store = ManualStore()
        let engine = WorkflowEngine(
            templates: .builtIn, workflowMaxAge: .milliseconds(100), store: store, logger: EngineTesting.logger
        )
        try await engine.restore()
        let quick = ["jobs": "1", "steps": "0", "step_delay_ms": "0"]
        let old = try await engine.start(WorkflowRequest(type: "TEST", params: quick, requestID: "old")).value
        store.commitQueued()
        _ = await EngineTesting.eventsUntilTerminalCommitting(of: old.id, in: engine.events, store: store)
        try await Task.sleep(for: .milliseconds(200))

        let new = try await engine.start(WorkflowRequest(type: "TEST", params: quick)).value
        _ = await EngineTesting.eventsUntilTerminalCommitting(of: new.id, in: engine.events, store: store)

        await #expect(throws: EngineError.self) { try await engine.workflow(id: old.id) }
        #expect(try await engine.workflow(id: new.id).status == .completed)
        // The engine queued the forget in the turn that appended `new`'s terminal event; the
        // committer may have stopped between the two.
        store.commitQueued()
        #expect(store.forgotten == [old.id])
        await engine.shutdown()
    }
}
