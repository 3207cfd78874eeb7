import AccessControl
import Dispatch
import EngineTestSupport
import Logging
import Synchronization
import RPCCore
import Testing
@testable import WorkflowEngine
import WorkflowMessages
import WorkflowModel
@testable import WorkflowService

/// Pulls a producer the way the transport does: small budgets, waiting for the waker on `.pending`.
private struct Puller {
    let producer: WatchLogsProducer
    let wakes: AsyncStream<Void>

    static func make(
        log: EventLog, filter: EventFilter, cursor: UInt64, workflow: WatchLogsProducer.WorkflowState = .running,
        workflowProgress: (@Sendable () -> WorkflowProgress)? = nil,
        encodedEvents: EncodedEventCache = EncodedEventCache(capacity: 64)
    ) -> Puller {
        let (wakes, continuation) = AsyncStream.makeStream(of: Void.self)
        let producer = WatchLogsProducer(
            log: log, filter: filter, cursor: cursor, workflow: workflow,
            workflowProgress: workflowProgress, encodedEvents: encodedEvents,
            credentials: .unchecked(.unauthenticated(certificateIdentity: nil)),
            waker: StreamWaker { continuation.yield() }
        )
        return Puller(producer: producer, wakes: wakes)
    }

    /// Pulls until the producer finishes; returns the decoded events and the final status.
    func pullToEnd(budget: Int = 2048) async throws -> ([WorkflowV1.LogEvent], RPCStatus) {
        var events: [WorkflowV1.LogEvent] = []
        var wakeIterator = wakes.makeAsyncIterator()
        while true {
            var output = StreamOutput(budget: budget)
            let production = producer.produce(into: &output)
            events += try decodeFramed(output.bytes)
            switch production {
            case .more:
                continue
            case .pending:
                _ = await wakeIterator.next()
            case .finished(let status):
                return (events, status)
            }
        }
    }
}

private func decodeFramed(_ bytes: [UInt8]) throws -> [WorkflowV1.LogEvent] {
    var events: [WorkflowV1.LogEvent] = []
    var offset = 0
    while offset < bytes.count {
        let length = bytes[offset + 1 ..< offset + 5].reduce(0) { $0 << 8 | Int($1) }
        events.append(try WorkflowV1.LogEvent(serializedBytes: bytes[offset + 5 ..< offset + 5 + length]))
        offset += 5 + length
    }
    return events
}

/// Every event of the log that `filter` matches, read straight from the log.
private func allEvents(in log: EventLog, matching filter: EventFilter) -> [UInt64] {
    var sequences: [UInt64] = []
    var cursor: UInt64 = 0
    while cursor < log.lastSequence {
        guard case .events(let events, let scannedThrough) = log.read(after: cursor, matching: filter, limit: 1000) else {
            Issue.record("log truncated")
            return sequences
        }
        sequences += events.map(\.sequence)
        cursor = scannedThrough
    }
    return sequences
}

@Suite struct WatchLogsProducerTests {
    let logger = Logger(label: "test")

    @Test func replayThenFollowHasNoGapAndNoDuplicate() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        // Started before the watch: part of the stream is replay, the rest is live.
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "300", "step_delay_ms": "0"])).value
        let filter = EventFilter(workflowID: workflow.id)
        let (events, status) = try await Puller.make(log: engine.events, filter: filter, cursor: 0).pullToEnd()

        #expect(status == .ok)
        #expect(events.map(\.sequence) == allEvents(in: engine.events, matching: filter))
        #expect(events.first?.kind == .workflowStarted)
        #expect(events.last?.kind == .workflowCompleted)
        #expect(events.filter { $0.kind == .stepLogged }.count == 900)
    }

    @Test func aRetriedWorkflowsWatchStepsOverTheEarlierAttemptsEnd() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        let workflow = try await engine.start(WorkflowRequest(
            type: "TEST", params: ["jobs": "2", "steps": "20", "fail_job": "2", "step_delay_ms": "0"]
        )).value
        let filter = EventFilter(workflowID: workflow.id)
        let (firstRun, _) = try await Puller.make(log: engine.events, filter: filter, cursor: 0).pullToEnd()
        #expect(firstRun.last?.kind == .workflowFailed)
        _ = try await engine.retry(id: workflow.id)
        while try await engine.workflow(id: workflow.id).status == .running {
            try await Task.sleep(for: .milliseconds(5))
        }
        let attempt = try await engine.workflow(id: workflow.id).attempt
        let cache = EncodedEventCache()
        // Small budgets: the output fills up next to the first attempt's terminal event too.
        for budget in [64, 300, 4096] {
            let (events, status) = try await Puller.make(
                log: engine.events, filter: filter, cursor: 0, workflow: .finished,
                workflowProgress: { WorkflowProgress(hasEnded: true, attempt: attempt) }, encodedEvents: cache
            ).pullToEnd(budget: budget)
            #expect(status == .ok)
            #expect(events.map(\.sequence) == allEvents(in: engine.events, matching: filter))
            // The retry fails again (same parameters): the first attempt's WORKFLOW_FAILED did
            // not end the stream, the second one did.
            #expect(events.filter { $0.kind == .workflowFailed }.map(\.attempt) == [1, Int32(attempt)])
            #expect(events.last?.kind == .workflowFailed)
        }
    }

    @Test func resumingAfterASequenceSendsOnlyLaterEvents() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "20", "step_delay_ms": "0"])).value
        let filter = EventFilter(workflowID: workflow.id)
        let (full, _) = try await Puller.make(log: engine.events, filter: filter, cursor: 0).pullToEnd()
        let resumeAfter = full[10].sequence
        let (rest, status) = try await Puller.make(log: engine.events, filter: filter, cursor: resumeAfter, workflow: .finished).pullToEnd()

        #expect(status == .ok)
        #expect(rest.map(\.sequence) == full.dropFirst(11).map(\.sequence))
    }

    @Test func aFinishedWorkflowWatchedPastItsEndEndsAtOnce() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"])).value
        let filter = EventFilter(workflowID: workflow.id)
        _ = try await Puller.make(log: engine.events, filter: filter, cursor: 0).pullToEnd()
        let (events, status) = try await Puller.make(
            log: engine.events, filter: filter, cursor: engine.events.lastSequence, workflow: .finished
        ).pullToEnd()

        #expect(events.isEmpty)
        #expect(status == .ok)
    }

    @Test("a pull from memory stops once the output holds its budget: the rest follows at the next pulls, nothing lost or repeated")
    func aPullFromMemoryStopsAtItsBudget() async throws {
        let log = EventLog(retention: 1_000)
        log.append(contentsOf: (0..<100).map { index in
            WorkflowModel.LogEvent(timestampMs: 0, kind: .stepLogged, level: .info, message: "step \(index)", workflowID: "wf-1", workflowType: "T")
        })
        let puller = Puller.make(log: log, filter: .all, cursor: 0, workflow: .finished)
        var output = StreamOutput(budget: 200)
        let production = puller.producer.produce(into: &output)
        let first = try decodeFramed(output.bytes)

        guard case .more = production else {
            Issue.record("expected .more after a full output, got \(production)")
            return
        }
        let lastSize = try #require(first.last).serializedBytes().count + 5
        #expect(!first.isEmpty && output.bytes.count - lastSize < 200, "a 200-byte pull went on after its budget: \(output.bytes.count) bytes")
        let (rest, status) = try await puller.pullToEnd(budget: 200)
        #expect(status == .ok)
        #expect((first + rest).map(\.sequence) == Array(1...100))
    }

    @Test func aWorkflowWhoseLastEventsBecomeVisibleBetweenAReadAndTheLookAtItsStateStillSendsThem() async throws {
        let log = EventLog(retention: 100)
        @Sendable func event(_ kind: LogEventKind) -> WorkflowModel.LogEvent {
            WorkflowModel.LogEvent(timestampMs: 0, kind: kind, level: .info, message: "\(kind)", workflowID: "wf-1", workflowType: "TEST", attempt: 1)
        }
        log.append(event(.workflowStarted))
        // The store commits the terminal event just after the producer's read found nothing new
        // and just before it asks whether the workflow has ended (one watch in a thousand did).
        let committed = Mutex(false)
        let progress: @Sendable () -> WorkflowProgress = {
            let isFirstLook = committed.withLock { committed in
                defer { committed = true }
                return !committed
            }
            if isFirstLook { log.append(event(.workflowCompleted)) }
            return WorkflowProgress(hasEnded: true, attempt: 1)
        }
        let (events, status) = try await Puller.make(
            log: log, filter: EventFilter(workflowID: "wf-1"), cursor: 0, workflowProgress: progress
        ).pullToEnd()

        #expect(status == .ok)
        #expect(events.map(\.kind) == [.workflowStarted, .workflowCompleted])
    }

    @Test func aCursorOlderThanTheRetainedLogGetsAGapMarkerThenTheRest() async throws {
        let engine = WorkflowEngine(templates: .builtIn, eventRetention: 10, logger: logger)
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "50", "step_delay_ms": "0"])).value
        while (try await engine.workflow(id: workflow.id)).status == .running {
            try await Task.sleep(for: .milliseconds(5))
        }
        let oldest = engine.events.oldestRetainedSequence
        let (events, status) = try await Puller.make(log: engine.events, filter: .all, cursor: 1, workflow: .finished).pullToEnd()

        #expect(status == .ok)
        let gap = try #require(events.first)
        #expect(gap.kind == .gap)
        #expect(gap.gapFromSequence == 2)
        #expect(gap.gapToSequence == oldest - 1)
        #expect(gap.message.contains("no longer retained"))
        #expect(events.dropFirst().map(\.sequence) == Array(oldest...engine.events.lastSequence))
    }

    @Test func aCancelledWatchProducesNothingMore() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        let puller = Puller.make(log: engine.events, filter: .all, cursor: engine.events.lastSequence)
        var output = StreamOutput(budget: 1024)
        guard case .pending = puller.producer.produce(into: &output) else {
            Issue.record("an idle log should leave the watcher pending")
            return
        }
        #expect(engine.events.waiterCount == 1)
        puller.producer.cancel()
        #expect(engine.events.waiterCount == 0, "a cancelled watcher leaves no waiter behind")
        _ = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"]))
        var after = StreamOutput(budget: 1024)
        guard case .finished(let status) = puller.producer.produce(into: &after) else {
            Issue.record("a cancelled watcher must finish")
            return
        }
        #expect(status.code == .cancelled)
        #expect(after.bytes.isEmpty)
    }

    @Test func minimumLevelDropsLowerEventsButKeepsTheTerminalOne() async throws {
        let engine = WorkflowEngine(templates: .builtIn, logger: logger)
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "5", "step_delay_ms": "0"])).value
        let filter = EventFilter(workflowID: workflow.id, minimumLevel: .warn)
        let (events, status) = try await Puller.make(log: engine.events, filter: filter, cursor: 0).pullToEnd()

        #expect(status == .ok)
        #expect(events.map(\.kind) == [.workflowCompleted])
    }
}

/// An ``EventStore`` over a ``ManualStore`` whose reads wait until the test opens them, as a
/// slow disk would.
private final class SlowReadStore: EventStore {
    let inner = ManualStore()
    private let gate = DispatchSemaphore(value: 0)
    private let readers = Mutex(0)

    /// Lets every waiting and later read through.
    func open() {
        for _ in 0..<16 { gate.signal() }
    }

    /// How many reads started.
    var readsStarted: Int { readers.withLock { $0 } }

    func recover() throws -> RecoveredState { try inner.recover() }
    func setCommitHandler(_ handler: @escaping @Sendable (UInt64) -> Void) { inner.setCommitHandler(handler) }
    func enqueue(_ write: StoreWrite) { inner.enqueue(write) }
    func enqueue(contentsOf writes: [StoreWrite]) { inner.enqueue(contentsOf: writes) }
    func records(in collection: String) throws -> [StoredRecord] { try inner.records(in: collection) }
    func steps(ofWorkflow id: String, through: UInt64, jobIDs: [String]) throws -> [StoredStep] {
        try inner.steps(ofWorkflow: id, through: through, jobIDs: jobIDs)
    }
    func workflow(id: String, stepsThrough: UInt64?) throws -> WorkflowModel.Workflow? { try inner.workflow(id: id, stepsThrough: stepsThrough) }
    func workflows(ids: [String]) throws -> [String: WorkflowModel.Workflow] { try inner.workflows(ids: ids) }
    var oldestStoredSequence: UInt64? { inner.oldestStoredSequence }
    func flush() { inner.flush() }

    func events(after sequence: UInt64, through: UInt64, limit: Int) throws -> [WorkflowModel.LogEvent] {
        readers.withLock { $0 += 1 }
        _ = gate.wait(timeout: .now() + 30)
        gate.signal()
        return try inner.events(after: sequence, through: through, limit: limit)
    }
}

extension WatchLogsProducerTests {
    @Test("events older than memory are read from the store off the caller's thread: produce never waits on the disk")
    func storeReadsDoNotBlock() async throws {
        let store = SlowReadStore()
        let log = EventLog(retention: 2, store: store)
        log.append(contentsOf: (0..<6).map { _ in
            WorkflowModel.LogEvent(timestampMs: 0, kind: .stepLogged, level: .info, message: "m", workflowID: "wf-1", workflowType: "T")
        })
        store.inner.commitQueued()
        let puller = Puller.make(log: log, filter: .all, cursor: 0)
        let started = ContinuousClock.now
        var output = StreamOutput(budget: 4096)
        let first = puller.producer.produce(into: &output)
        #expect(ContinuousClock.now - started < .seconds(5), "produce waited for the store")
        guard case .pending = first else {
            Issue.record("expected .pending while the store reads, got \(first)")
            return
        }
        #expect(output.bytes.isEmpty)
        store.open()
        var sequences: [UInt64] = []
        var wakes = puller.wakes.makeAsyncIterator()
        while sequences.count < 6 {
            var output = StreamOutput(budget: 4096)
            let production = puller.producer.produce(into: &output)
            sequences += try decodeFramed(output.bytes).map(\.sequence)
            if case .pending = production, sequences.count < 6 { _ = await wakes.next() }
        }
        puller.producer.cancel()
        #expect(sequences == [1, 2, 3, 4, 5, 6])
        #expect(store.readsStarted >= 1)
    }

    @Test("a watch from deep in the store reads a few events first, to send one soon, and more with each read after")
    func storeReadsStartSmallAndGrow() async throws {
        let store = SlowReadStore()
        store.open()
        let log = EventLog(retention: 2, store: store)
        log.append(contentsOf: (0..<400).map { _ in
            WorkflowModel.LogEvent(timestampMs: 0, kind: .stepLogged, level: .info, message: "m", workflowID: "wf-1", workflowType: "T")
        })
        store.inner.commitQueued()

        let (events, status) = try await Puller.make(log: log, filter: .all, cursor: 0, workflow: .finished).pullToEnd(budget: 1 << 20)

        #expect(status == .ok)
        #expect(events.map(\.sequence) == Array(1...400))
        #expect(store.inner.eventReadLimits == [16, 64, 256, 256])
    }
}
