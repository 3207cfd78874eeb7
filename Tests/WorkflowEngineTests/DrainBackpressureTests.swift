import EngineTestSupport
import Synchronization
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// A job that logs faster than the store commits: the engine records its steps a batch at a
/// time, only while the store keeps up, and ends the job once they are all recorded.
@Suite("Drains behind a slow store")
struct DrainBackpressureTests {
    private static let steps = 20_000

    /// Starts a `FAST_LOGGER` workflow, whose job logs `steps` steps back to back (followed by a
    /// job `Next` when `thenJob`), on a new engine in front of `store`, and waits until the
    /// first job's function returned.
    private static func startedUntilReturned(
        store: ManualStore,
        steps: Int = Self.steps,
        timeout: Duration? = nil,
        deadline: Duration? = nil,
        executor: (any EngineExecutor)? = nil,
        history: HistoryInMemory = HistoryInMemory(),
        thenJob: Bool = false
    ) async throws -> (engine: WorkflowEngine, id: String) {
        let returned = Box(false)
        var templates = TemplateRegistry.builtIn
        let job = JobDefinition(name: "Log", timeout: timeout) { context in
            for index in 1...steps {
                context.logStep("Created P-\(index)")
            }
            returned.update { $0 = true }
        }
        let next = JobDefinition(name: "Next") { context in context.logStep("Next") }
        templates.register(WorkflowTemplate(type: "FAST_LOGGER", jobs: thenJob ? [job, next] : [job], deadline: deadline))
        let engine = WorkflowEngine(templates: templates, executor: executor, store: store, history: history, logger: EngineTesting.logger)
        try await engine.restore()
        let id = try await engine.start(WorkflowRequest(type: "FAST_LOGGER")).value.id
        let deadline = ContinuousClock.now + .seconds(30)
        while !returned.current {
            guard ContinuousClock.now < deadline else {
                Issue.record("the job did not return in time")
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return (engine, id)
    }

    /// The number of events in each `enqueue` call of `store` (one commit each in the real store).
    private static func eventCounts(of store: ManualStore) -> [Int] {
        store.enqueuedGroups.map { group in
            group.reduce(0) { count, write in
                if case .events(let events) = write { count + events.count } else { count }
            }
        }
    }

    @Test(
        "while the store commits nothing, the engine stops recording once the backlog limit waits for it, and the job does not end; once it commits, every step is recorded in order, in commits of a batch at most, before the job completes",
        arguments: [false, true]
    )
    func recordsOnlyWhileTheStoreKeepsUp(onEngineExecutor: Bool) async throws {
        let store = ManualStore()
        let (engine, id) = try await Self.startedUntilReturned(store: store, executor: onEngineExecutor ? LoopExecutor() : nil)
        let limit = await engine.drainBacklogLimit
        var backlog: UInt64 { engine.events.lastAppendedSequence - engine.events.lastSequence }
        let deadline = ContinuousClock.now + .seconds(30)
        while backlog <= UInt64(limit), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(200))

        #expect(backlog > UInt64(limit))
        #expect(backlog <= UInt64(limit + WorkflowEngine.drainBatch + 4))
        #expect(try await engine.workflow(id: id).status == .running)

        let events = await EngineTesting.eventsUntilTerminalCommitting(of: id, in: engine.events, store: store)
        let steps = events.of(.stepLogged)
        #expect(steps.map(\.message) == (1...Self.steps).map { "Created P-\($0)" })
        #expect(events.last?.kind == .workflowCompleted)
        let completed = try #require(events.firstIndex { $0.kind == .jobCompleted })
        let lastStep = try #require(events.lastIndex { $0.kind == .stepLogged })
        #expect(completed > lastStep)
        #expect(Self.eventCounts(of: store).allSatisfy { $0 <= WorkflowEngine.drainBatch + 4 })
    }

    @Test("a job that returned within its timeout is not timed out while the engine still records its steps")
    func noTimeoutWhileRecording() async throws {
        let store = ManualStore()
        // Half of 4,096 events in memory: drains wait once 2,048 await their commit.
        let (engine, id) = try await Self.startedUntilReturned(
            store: store, steps: 6_000, timeout: .seconds(2), history: HistoryInMemory(events: 4_096)
        )
        try await Task.sleep(for: .milliseconds(2_500))

        let events = await EngineTesting.eventsUntilTerminalCommitting(of: id, in: engine.events, store: store)
        #expect(events.of(.jobFailed).isEmpty && events.of(.jobRetryScheduled).isEmpty)
        #expect(events.last?.kind == .workflowCompleted)
        #expect(events.of(.stepLogged).count == 6_000)
    }

    @Test("a shutdown while the engine records a returned job's steps records the job as it ended, not as interrupted")
    func shutdownWhileRecording() async throws {
        let store = ManualStore()
        let (engine, id) = try await Self.startedUntilReturned(store: store)
        await engine.shutdown()

        let events = await EngineTesting.eventsUntilTerminalCommitting(of: id, in: engine.events, store: store)
        #expect(events.of(.jobInterrupted).isEmpty)
        #expect(events.last?.kind == .workflowCompleted)
        #expect(events.of(.stepLogged).count == Self.steps)
    }

    @Test(
        "a deadline passing while the engine records the steps of a job that returned in time does not fail that job; the job after it fails",
        arguments: [false, true]
    )
    func deadlineWhileRecording(thenJob: Bool) async throws {
        let store = ManualStore()
        let (engine, id) = try await Self.startedUntilReturned(
            store: store, steps: 6_000, deadline: .seconds(3), history: HistoryInMemory(events: 4_096), thenJob: thenJob
        )
        try await Task.sleep(for: .milliseconds(3_500))

        let events = await EngineTesting.eventsUntilTerminalCommitting(of: id, in: engine.events, store: store)
        #expect(events.of(.stepLogged).filter { $0.job?.position == 0 }.count == 6_000)
        #expect(events.first(.jobCompleted, position: 0) != nil)
        if thenJob {
            #expect(events.last?.kind == .workflowFailed)
            #expect(try await engine.workflow(id: id).failedJobName == "Next")
        } else {
            #expect(events.last?.kind == .workflowCompleted)
        }
    }

    @Test("a cancel request while the engine records a returned job's steps cancels the workflow, with every step recorded")
    func cancelWhileRecording() async throws {
        let store = ManualStore()
        let (engine, id) = try await Self.startedUntilReturned(store: store)
        _ = try await engine.cancel(id: id, reason: "enough")

        let events = await EngineTesting.eventsUntilTerminalCommitting(of: id, in: engine.events, store: store)
        #expect(events.last?.kind == .workflowCancelled)
        #expect(events.of(.stepLogged).count == Self.steps)
    }

    @Test("a drain takes a batch, or more so as not to part the records and steps of one call, which it takes together")
    func batchesKeepCallsTogether() throws {
        let engine = EngineTesting.makeEngine()
        let context = JobContext(
            engine: engine, workflowID: "wf-none", workflowType: "TEST", jobID: "wf-none-j1", jobName: "Job",
            jobPosition: 0, params: [:], attempt: 1
        )
        let record = StoredRecord(collection: "asset", key: "P-1", revision: 1, body: [])
        for index in 1...3 {
            context.logStep("single \(index)")
        }
        context.logSteps((1...5).map { StepEntry("grouped \($0)") }, keeping: [record])
        context.logStep("after")

        let first = context.takePending(upTo: 4)
        #expect(first.updates.count == 9)
        #expect(first.more)
        let second = context.takePending(upTo: 4)
        #expect(second.updates.count == 1)
        #expect(!second.more)
        guard case .step(let message, _, _, _) = try #require(second.updates.first) else {
            Issue.record("expected a step")
            return
        }
        #expect(message == "after")
    }
}
