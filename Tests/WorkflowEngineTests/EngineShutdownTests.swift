import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("Engine shutdown")
struct EngineShutdownTests {
    @Test("shutdown gives running jobs the grace period, then records them interrupted; the workflow stays RUNNING")
    func shutdownInterruptsRunningJobs() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "100", "step_delay_ms": "1000", "max_attempts": "2"])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { $0.jobs[0].status == .running }

        let clock = ContinuousClock()
        let elapsed = await clock.measure { await engine.shutdown(gracePeriod: .milliseconds(100)) }
        #expect(elapsed >= .milliseconds(100), "the job had its grace period")
        #expect(elapsed < .seconds(30), "a job still running then (for 100 s more) is not waited for")

        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.status == .running)
        #expect(stopped.jobs.map(\.status) == [.running, .pending, .pending])
        #expect(stopped.jobs[0].failedAttempts.map(\.outcome) == [.interrupted])
        #expect(stopped.jobs[0].failedAttempts.map(\.errorCode) == ["INTERRUPTED"])
        let last = engine.events.lastSequence
        guard case .events(let events, _) = engine.events.read(after: last - 1, matching: .all, limit: 10) else {
            Issue.record("expected the last event")
            return
        }
        #expect(events.map(\.kind) == [.jobInterrupted])
        #expect(events.first?.message == "Job Fetch attempt 1 was interrupted: interrupted: the server shut down while attempt 1 ran; attempt 2 starts when the server runs again")
        #expect(stopped.jobs[0].countedAttempts == 0, "a shutdown does not use up an attempt")
    }

    @Test("a job that ends within the grace period is recorded, and the next job does not start")
    func jobEndsWithinGrace() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "2", "step_delay_ms": "100"])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { $0.jobs[0].status == .running }
        await engine.shutdown(gracePeriod: .seconds(10))
        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.status == .running)
        #expect(stopped.jobs.map(\.status) == [.completed, .pending])
        #expect(stopped.jobs[0].failedAttempts.isEmpty)
    }

    @Test("a workflow asked to cancel whose job is still stopping ends cancelled at shutdown, not interrupted")
    func cancelThenShutdown() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "2", "hang_job": "1", "hang_ms": "60000", "timeout_grace_ms": "60000"])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { !$0.jobs[0].steps.isEmpty }
        _ = try await engine.cancel(id: workflow.id)
        await engine.shutdown(gracePeriod: .zero)
        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.status == .cancelled)
        #expect(stopped.jobs.map(\.status) == [.cancelled, .cancelled])
        #expect(stopped.jobs[0].failedAttempts.isEmpty)
    }

    @Test("a retry that comes due during the grace period waits for the next server")
    func retryDueDuringGrace() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: [
                "jobs": "1", "steps": "0", "fail_job": "1", "fail_attempts": "1", "max_attempts": "2", "backoff_ms": "20",
            ])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { $0.jobs[0].nextAttemptAtMs != nil }
        await engine.shutdown(gracePeriod: .milliseconds(200))
        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.status == .running)
        #expect(stopped.jobs[0].attempt == 1, "no attempt starts while the engine shuts down")
        #expect(stopped.jobs[0].nextAttemptAtMs != nil, "the next server runs it")
    }

    @Test("an attempt that timed out and is still in its grace at shutdown is a timeout, which counts, not an interruption")
    func timedOutAttemptAtShutdown() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: [
                "jobs": "1", "hang_job": "1", "hang_ms": "60000", "timeout_ms": "30", "timeout_grace_ms": "60000", "max_attempts": "3",
            ])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { !$0.jobs[0].steps.isEmpty }
        // Past the 30 ms timeout, inside the minute of grace.
        let deadline = ContinuousClock.now + .seconds(30)
        while await !engine.isStoppingAttempt(ofWorkflow: workflow.id), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        await engine.shutdown(gracePeriod: .zero)
        let stopped = try await engine.workflow(id: workflow.id)
        #expect(stopped.jobs[0].failedAttempts.map(\.outcome) == [.timedOut])
        #expect(stopped.jobs[0].uncountedAttempts == 0)
        #expect(stopped.jobs[0].nextAttemptAtMs != nil, "its retry waits for the next server")
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
