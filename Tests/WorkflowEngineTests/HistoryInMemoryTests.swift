import EngineTestSupport
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Which finished workflows let go of their steps, and when.
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
