import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("EngineExecutor")
struct EngineExecutorTests {
    @Test("ifIsolated runs synchronously on the engine's executor and returns nil elsewhere")
    func ifIsolatedOnCustomExecutor() async throws {
        let executor = LoopExecutor()
        defer { executor.shutdown() }
        let engine = EngineTesting.makeEngine(executor: executor)
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "5", "step_delay_ms": "0"])

        #expect(engine.ifIsolated { $0.knownTypes } == nil, "not on the loop thread")
        #expect(!executor.isCurrent)

        // On the loop thread, outside any Swift task, like an RPC handler on an event loop.
        let outcome = await withCheckedContinuation { continuation in
            executor.execute {
                let result = Result { () throws(EngineError) -> Workflow? in
                    try engine.ifIsolated { engine throws(EngineError) in try engine.start(request).value }
                }
                // Still the same loop turn: the first job started, but no step can be recorded yet.
                continuation.resume(returning: (result, engine.events.lastSequence, executor.isCurrent))
            }
        }

        let (result, lastSequence, onLoop) = outcome
        #expect(onLoop)
        let workflow = try #require(try result.get())
        #expect(workflow.status == .running)
        #expect(workflow.jobs.map(\.status) == [.pending, .pending])
        #expect(lastSequence == 2, "only WORKFLOW_STARTED and JOB_STARTED before the loop turn ends")

        let events = await EngineTesting.eventsUntilTerminal(of: workflow.id, in: engine.events)
        #expect(events.last?.kind == .workflowCompleted)
        #expect(events.of(.stepLogged).count == 10)
        // Awaiting from elsewhere hops onto the loop executor.
        #expect(try await engine.workflow(id: workflow.id).status == .completed)

        let missing = await withCheckedContinuation { continuation in
            executor.execute {
                let result = Result { () throws(EngineError) -> Workflow? in
                    try engine.ifIsolated { engine throws(EngineError) in try engine.workflow(id: "wf-none") }
                }
                continuation.resume(returning: result)
            }
        }
        #expect(throws: EngineError.workflowNotFound("wf-none")) { try missing.get() }
    }

    @Test("without a custom executor ifIsolated always returns nil")
    func ifIsolatedWithoutExecutor() async throws {
        let engine = EngineTesting.makeEngine()
        #expect(engine.ifIsolated { $0.knownTypes } == nil)
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "TEST", params: ["step_delay_ms": "0"]), on: engine)
        #expect(workflow.status == .completed)
    }
}
