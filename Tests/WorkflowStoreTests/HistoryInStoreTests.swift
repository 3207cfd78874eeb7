import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// With the SQLite store, memory holds what is hot: the newest events and the steps of running
/// and recently finished workflows; older history is read back from the file, whole and in order.
@Suite("History left to the store")
struct HistoryInStoreTests {
    /// A wait that ran out.
    struct TimedOut: Error {
        let what: String
    }

    static let steps = ["jobs": "2", "steps": "3", "step_delay_ms": "0"]

    /// Runs a TEST workflow with `params` to its end.
    static func run(_ engine: WorkflowEngine, _ params: [String: String] = steps) async throws -> Workflow {
        let id = try await engine.start(WorkflowRequest(type: "TEST", params: params)).value.id
        return try await waitForEnd(engine, id)
    }

    static func waitForEnd(_ engine: WorkflowEngine, _ id: String) async throws -> Workflow {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let workflow = try await engine.workflow(id: id)
            if workflow.status != .running { return workflow }
            guard ContinuousClock.now < deadline else { throw TimedOut(what: "workflow \(id) still runs") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until `condition` holds, for at most 20 seconds.
    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until `id`'s steps are left to the store: commits what is queued, then finishes
    /// another workflow (the next finish after the terminal event's commit lets go of them).
    static func waitUntilInStore(_ engine: WorkflowEngine, _ id: String, _ store: SQLiteEventStore) async throws -> WorkflowSnapshot {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let snapshot = try await engine.snapshot(id: id)
            if !snapshot.isWhole { return snapshot }
            guard ContinuousClock.now < deadline else { throw TimedOut(what: "the steps of \(id) stay in memory") }
            store.flush()
            _ = try await run(engine, ["jobs": "1", "steps": "0", "step_delay_ms": "0"])
        }
    }

    static func engine(_ store: SQLiteEventStore, history: HistoryInMemory) -> WorkflowEngine {
        WorkflowEngine(templates: .builtIn, store: store, history: history, logger: SQLiteEventStoreTests.logger)
    }

    /// A restored engine on a store in a fresh directory.
    static func freshEngine(history: HistoryInMemory) async throws -> (SQLiteEventStore, WorkflowEngine) {
        let store = try SQLiteEventStore(configuration: .init(directory: SQLiteEventStoreTests.temporaryDirectory()), logger: SQLiteEventStoreTests.logger)
        let engine = engine(store, history: history)
        try await engine.restore()
        return (store, engine)
    }

    @Test("a completed workflow beyond the newest ones keeps only its summary; its tree and steps read back equal the tree it had")
    func finishedStepsLeaveMemory() async throws {
        let (store, engine) = try await Self.freshEngine(history: HistoryInMemory(finishedWorkflowsWithSteps: 1))
        let hot = try await Self.run(engine)
        #expect(hot.jobs.map(\.steps.count) == [3, 3])

        let cold = try await Self.waitUntilInStore(engine, hot.id, store)
        #expect(cold.treeInStore)
        #expect(cold.workflow.jobs.isEmpty)
        #expect(cold.workflow.status == .completed)
        #expect(cold.stepsInStoreThrough >= hot.jobs[1].steps[2].sequence)
        let complete = try engine.withStoredHistory(cold)
        #expect(complete.isWhole)
        #expect(complete.workflow == hot)
        let summary = try engine.withStoredHistory(cold, includingSteps: false).workflow
        #expect(summary.jobs.map(\.steps.count) == [0, 0])
        #expect(summary.jobs.map(\.stepCount) == [3, 3])
        var stepless = hot
        for index in stepless.jobs.indices {
            stepless.jobs[index].steps = []
            stepless.jobs[index].storedStepCount = 3
        }
        #expect(summary == stepless)
        // Listing reads its tree back too.
        let page = try await engine.list(WorkflowQuery(pageSize: 100))
        #expect(page.treesInStore.contains(hot.id))
        let listed = try engine.withStoredTrees(page)
        #expect(listed.treesInStore.isEmpty)
        #expect(listed.workflows.first { $0.id == hot.id } == stepless)

        // A window of the log needs the stored steps first; read back, it is the same page.
        let query = StepQuery(workflowID: hot.id, pageSize: 4, oldestFirst: true)
        guard case .inStore(let snapshot) = try await engine.steps(query) else {
            Issue.record("expected the steps to be in the store")
            return
        }
        let window = try WorkflowEngine.steps(query, in: try engine.withStoredHistory(snapshot))
        let expected: [Step] = hot.jobs[0].steps + [hot.jobs[1].steps[0]]
        #expect(window.steps.map(\.step) == expected)
        #expect(window.hasMore)
        #expect(throws: EngineError.self) {
            try WorkflowEngine.steps(StepQuery(workflowID: hot.id, jobID: "no-such-job"), in: try engine.withStoredHistory(snapshot))
        }
        await engine.shutdown()
    }

    @Test("a failed workflow whose steps are in the store is retried: its old and new steps read back in order, numbered on")
    func retryAfterStepsLeftMemory() async throws {
        // One finished workflow keeps its steps: the failed one, until the next one finishes.
        let (store, engine) = try await Self.freshEngine(history: HistoryInMemory(finishedWorkflowsWithSteps: 1))
        let failed = try await Self.run(engine, Self.steps.merging(["fail_job": "2"]) { $1 })
        #expect(failed.status == .failed)
        _ = try await Self.waitUntilInStore(engine, failed.id, store)

        _ = try await engine.retry(id: failed.id)
        let retried = try await Self.waitForEnd(engine, failed.id)
        #expect(retried.status == .failed)
        let complete = try engine.withStoredHistory(try await engine.snapshot(id: failed.id)).workflow
        let ids = complete.jobs.flatMap(\.steps).map(\.id)
        #expect(Set(ids).count == ids.count, "step ids repeat: \(ids)")
        #expect(complete.jobs[0].steps == failed.jobs[0].steps)
        #expect(Array(complete.jobs[1].steps.prefix(failed.jobs[1].steps.count)) == failed.jobs[1].steps)
        #expect(complete.jobs[1].steps.count > failed.jobs[1].steps.count)
        for job in complete.jobs {
            #expect(job.steps.map(\.sequence) == job.steps.map(\.sequence).sorted())
            #expect(job.storedStepCount == 0)
        }
        await engine.shutdown()
    }

    @Test("after a restart ended workflows come back as summaries and read back whole; a running one comes back with its steps")
    func restoredEndedWorkflowsLeaveStepsInStore() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let finished: Workflow
        let runningID: String
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: SQLiteEventStoreTests.logger)
            let engine = Self.engine(store, history: HistoryInMemory())
            try await engine.restore()
            finished = try await Self.run(engine)
            runningID = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "100000", "step_delay_ms": "20"])).value.id
            try await Self.waitUntil("two steps of \(runningID)") { try await engine.workflow(id: runningID).jobs[0].steps.count >= 2 }
            await engine.shutdown()
            store.flush()
        }
        let store = try await RemoteLeaseResumeTests.reopen(directory)
        // No finished workflow keeps its tree in memory: the restored one is a summary at once.
        let restored = Self.engine(store, history: HistoryInMemory(finishedWorkflowsWithSteps: 0))
        try await restored.restore()
        let cold = try await restored.snapshot(id: finished.id)
        #expect(cold.treeInStore)
        #expect(try restored.withStoredHistory(cold).workflow == finished)
        #expect(try restored.withStoredHistory(cold, includingSteps: false).workflow.jobs.map(\.stepCount) == [3, 3])
        let listed = try restored.withStoredTrees(try await restored.list(WorkflowQuery(pageSize: 10)))
        #expect(listed.workflows.map(\.id).contains(finished.id))
        #expect(listed.workflows.allSatisfy { !$0.jobs.isEmpty })
        // A running workflow comes back with its steps: it goes on numbering them.
        let running = try await restored.snapshot(id: runningID)
        #expect(running.isWhole)
        let before = running.workflow.jobs[0].steps.count
        #expect(before >= 2)
        try await Self.waitUntil("a new step of \(runningID)") { try await restored.workflow(id: runningID).jobs[0].steps.count > before + 1 }
        let job = try await restored.workflow(id: runningID).jobs[0]
        #expect(job.steps.map(\.id) == (1...job.steps.count).map { "\(job.id)-s\($0)" })
        _ = try await restored.cancel(id: runningID)
        await restored.shutdown()
    }

    @Test("with a store, the log keeps only the newest events in memory and reads the older ones from the file, in order")
    func olderEventsComeFromTheStore() async throws {
        let (store, engine) = try await Self.freshEngine(history: HistoryInMemory(events: 16))
        let workflow = try await Self.run(engine, ["jobs": "2", "steps": "20", "step_delay_ms": "0"])
        store.flush()
        #expect(!engine.events.holdsInMemory(after: 0))
        var cursor: UInt64 = 0
        var read: [WorkflowModel.LogEvent] = []
        var reads = 0
        while cursor < engine.events.lastSequence {
            reads += 1
            guard reads < 10_000 else {
                Issue.record("the reads stopped advancing at \(cursor)")
                return
            }
            guard case .events(let events, let through) = engine.events.read(after: cursor, matching: EventFilter(workflowID: workflow.id), limit: 64) else {
                Issue.record("the read after \(cursor) did not return events")
                return
            }
            read += events
            cursor = through
        }
        #expect(read.map(\.sequence) == read.map(\.sequence).sorted())
        #expect(read.filter { $0.kind == .stepLogged }.compactMap(\.step) == workflow.jobs.flatMap(\.steps))
        #expect(read.last?.kind == .workflowCompleted)
        await engine.shutdown()
    }

    @Test("a workflow forgotten while its steps are read back is not found, never answered with its steps missing")
    func forgottenDuringARead() async throws {
        let store = try SQLiteEventStore(configuration: .init(directory: SQLiteEventStoreTests.temporaryDirectory()), logger: SQLiteEventStoreTests.logger)
        let engine = WorkflowEngine(
            templates: .builtIn, workflowRetention: 3, store: store,
            history: HistoryInMemory(finishedWorkflowsWithSteps: 1), logger: SQLiteEventStoreTests.logger
        )
        try await engine.restore()
        let workflow = try await Self.run(engine)
        let cold = try await Self.waitUntilInStore(engine, workflow.id, store)
        try await Self.waitUntil("\(workflow.id) forgotten") {
            _ = try await Self.run(engine, ["jobs": "1", "steps": "0", "step_delay_ms": "0"])
            return (try? await engine.workflow(id: workflow.id)) == nil
        }
        store.flush()
        #expect(throws: EngineError.workflowNotFound(workflow.id)) { try engine.withStoredHistory(cold) }
        await engine.shutdown()
    }

    @Test("a failed workflow (which a retry may run again) keeps its tree; with no steps it is never read from the store")
    func workflowsWithoutStepsStayWhole() async throws {
        let (store, engine) = try await Self.freshEngine(history: HistoryInMemory(finishedWorkflowsWithSteps: 0))
        let empty = try await Self.run(engine, ["jobs": "2", "steps": "0", "step_delay_ms": "0", "fail_job": "1"])
        #expect(empty.status == .failed)
        for _ in 0..<3 {
            _ = try await Self.run(engine, ["jobs": "1", "steps": "0", "step_delay_ms": "0"])
        }
        store.flush()
        _ = try await Self.run(engine, ["jobs": "1", "steps": "0", "step_delay_ms": "0"])
        let snapshot = try await engine.snapshot(id: empty.id)
        #expect(snapshot.workflow.jobs.map(\.stepCount) == [0, 0])
        #expect(snapshot.isWhole)
        await engine.shutdown()
    }
}
