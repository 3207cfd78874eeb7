import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("Engine shutdown")
struct EngineShutdownTests {
    @Test("shutdown interrupts a running workflow, which fails at its running job")
    func shutdownInterruptsRunningWorkflows() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "100", "step_delay_ms": "1000"])
        ).value
        // Wait until the first job runs.
        while try await engine.workflow(id: workflow.id).jobs[0].status != .running {
            await Task.yield()
        }

        let clock = ContinuousClock()
        let elapsed = await clock.measure { await engine.shutdown() }
        #expect(elapsed < .seconds(5), "a sleeping job is interrupted, not waited for")

        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.status == .failed)
        #expect(stopped.error == "interrupted: the server is shutting down")
        #expect(stopped.failedJobName == "Fetch")
        #expect(stopped.jobs.map(\.status) == [.failed, .cancelled, .cancelled])

        let events = await EngineTesting.eventsUntilTerminal(of: workflow.id, in: engine.events)
        #expect(events.last?.kind == .workflowFailed)
        #expect(events.of(.failureNotice).first?.message == "TEST failed at Fetch: interrupted: the server is shutting down")
    }

    @Test("after shutdown no workflow starts")
    func noStartAfterShutdown() async throws {
        let engine = EngineTesting.makeEngine()
        await engine.shutdown()
        await #expect(throws: EngineError.shuttingDown) {
            _ = try await engine.start(WorkflowRequest(type: "TEST"))
        }
    }
}
