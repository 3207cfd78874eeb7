import EngineTestSupport
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Which finished workflows let go of their steps and job definitions, and when.
@Suite("History in memory")
struct HistoryInMemoryTests {
    static let quick = WorkflowRequest(type: "TEST", params: ["jobs": "1", "steps": "2", "step_delay_ms": "0"])

    @Test("a finished workflow keeps its steps until its end is committed, then lets go of them at the next finish")
    func stepsStayUntilTheEndIsCommitted() async throws {
        let store = ManualStore()
        let engine = WorkflowEngine(templates: .builtIn, store: store, history: HistoryInMemory(finishedWorkflowsWithSteps: 0), logger: EngineTesting.logger)
        try await engine.restore()
        let first = try await engine.start(Self.quick).value.id
        try await EngineTesting.waitUntil(first, in: engine) { $0.status == .completed }
        let second = try await engine.start(Self.quick).value.id
        try await EngineTesting.waitUntil(second, in: engine) { $0.status == .completed }
        // Nothing is committed: the store does not hold the first one's steps yet.
        #expect(try await engine.snapshot(id: first).isWhole)
        #expect(try await engine.workflow(id: first).jobs[0].steps.count == 2)

        store.commitQueued()
        let third = try await engine.start(Self.quick).value.id
        try await EngineTesting.waitUntil(third, in: engine) { $0.status == .completed }
        let cold = try await engine.snapshot(id: first)
        #expect(cold.treeInStore)
        #expect(cold.workflow.jobs.isEmpty)
        #expect(try engine.withStoredHistory(cold).workflow.jobs[0].steps.count == 2)
        #expect(try engine.withStoredHistory(cold, includingSteps: false).workflow.jobs[0].stepCount == 2)
        await engine.shutdown()
    }

    @Test("a finished workflow lets go of its job definitions when it ends, store or not, and a retry makes them anew", arguments: [false, true])
    func definitionsGoAtTheEnd(withStore: Bool) async throws {
        final class Captured: Sendable {}
        let weakly = Box<[WeakCaptured]>([])
        let template = WorkflowTemplate(type: "FLAKY_ONCE") { _ in
            let captured = Captured()
            let made = weakly.update { made -> Int in
                made.append(WeakCaptured(captured))
                return made.count
            }
            return [JobDefinition(name: "Job") { _ in
                withExtendedLifetime(captured) {}
                if made == 1 { throw JobError("the first run fails") }
            }]
        }
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let engine = WorkflowEngine(templates: templates, store: withStore ? ManualStore() : nil, logger: EngineTesting.logger)
        if withStore {
            try await engine.restore()
        }
        let id = try await engine.start(WorkflowRequest(type: "FLAKY_ONCE")).value.id
        try await EngineTesting.waitUntil(id, in: engine) { $0.status == .failed }
        // The attempt's task lets go of the job function a moment after the workflow ended.
        #expect(await Self.letGo(weakly), "a failed workflow keeps no definitions")

        _ = try await engine.retry(id: id)
        try await EngineTesting.waitUntil(id, in: engine) { $0.status == .completed }
        #expect(weakly.current.count == 2, "the retry made its definitions anew")
        #expect(await Self.letGo(weakly), "a completed workflow keeps no definitions")
        await engine.shutdown()
    }

    @Test("without a store every finished workflow keeps its steps")
    func withoutAStoreNothingLeaves() async throws {
        let engine = WorkflowEngine(templates: .builtIn, history: HistoryInMemory(finishedWorkflowsWithSteps: 0), logger: EngineTesting.logger)
        var ids: [String] = []
        for _ in 0..<3 {
            let id = try await engine.start(Self.quick).value.id
            try await EngineTesting.waitUntil(id, in: engine) { $0.status == .completed }
            ids.append(id)
        }
        for id in ids {
            #expect(try await engine.snapshot(id: id).isWhole)
            #expect(try await engine.workflow(id: id).jobs[0].steps.count == 2)
        }
    }
}

extension HistoryInMemoryTests {
    /// Whether everything `weakly` refers to is let go of within 30 seconds.
    private static func letGo(_ weakly: Box<[WeakCaptured]>) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while weakly.current.contains(where: { $0.value != nil }) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Commits, then finishes quick workflows until `id` keeps only its summary.
    private func waitForSummary(of id: String, in engine: WorkflowEngine, store: ManualStore) async throws -> WorkflowSnapshot {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let snapshot = try await engine.snapshot(id: id)
            if snapshot.treeInStore { return snapshot }
            guard ContinuousClock.now < deadline else {
                Issue.record("workflow \(id) kept its tree")
                return snapshot
            }
            store.commitQueued()
            let quick = try await engine.start(Self.quick).value.id
            try await EngineTesting.waitUntil(quick, in: engine) { $0.status != .running }
        }
    }

    @Test("a worker's end report sent again after its workflow kept only its summary is acknowledged; any other report is refused")
    func resentEndAfterTheSummary() async throws {
        let store = ManualStore()
        var templates = TemplateRegistry.builtIn
        templates.register(RemoteJobTests.mixedTemplate())
        let engine = WorkflowEngine(templates: templates, store: store, history: HistoryInMemory(finishedWorkflowsWithSteps: 0), logger: EngineTesting.logger)
        try await engine.restore()
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        #expect(try await worker.report(lease, 1, end: .completed(outputs: ["n": "1"])) == 1)
        try await EngineTesting.waitUntil(started.id, in: engine) { $0.status == .completed }
        _ = try await waitForSummary(of: started.id, in: engine, store: store)

        #expect(try await worker.report(lease, 1, end: .completed(outputs: ["n": "1"])) == 1)
        await #expect(throws: EngineError.self) {
            try await worker.report(lease, 2, end: .completed(outputs: [:]))
        }
        await engine.shutdown()
    }

    @Test("a cancelled workflow keeps only its summary too, and reads back whole; a repeated request id still finds it")
    func cancelledAndRepeatedRequests() async throws {
        let store = ManualStore()
        let engine = WorkflowEngine(templates: .builtIn, store: store, history: HistoryInMemory(finishedWorkflowsWithSteps: 0), logger: EngineTesting.logger)
        try await engine.restore()
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "1000", "step_delay_ms": "5"], requestID: "req-1")
        let started = try await engine.start(request).value
        try await EngineTesting.waitUntil(started.id, in: engine) { !$0.jobs[0].steps.isEmpty }
        _ = try await engine.cancel(id: started.id, reason: "enough")
        let cancelled = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status == .cancelled }
        let summary = try await waitForSummary(of: started.id, in: engine, store: store)
        store.commitQueued()
        #expect(try engine.withStoredHistory(summary).workflow == cancelled)
        #expect(summary.workflow.params == request.params, "a summary with a request id keeps its parameters")

        #expect(try await engine.start(request).value.id == started.id)
        var other = request
        other.params["steps"] = "1"
        await #expect(throws: EngineError.self) { try await engine.start(other) }
        await engine.shutdown()
    }
}

/// A weak reference, for checking that something was let go of.
private final class WeakCaptured: Sendable {
    weak let value: (AnyObject & Sendable)?

    init(_ value: AnyObject & Sendable) {
        self.value = value
    }
}
