import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("Retries, timeouts and deadlines")
struct JobRetryTests {
    static func request(_ params: [String: String]) -> WorkflowRequest {
        WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "2", "step_delay_ms": "0"].merging(params) { $1 })
    }

    @Test("a job failing its first two attempts completes on the third, keeping every attempt's steps and errors")
    func failsTwiceThenCompletes() async throws {
        let engine = EngineTesting.makeEngine()
        let (workflow, events) = try await EngineTesting.run(
            Self.request(["fail_job": "1", "fail_attempts": "2", "max_attempts": "3", "backoff_ms": "5", "fail_message": "blip"]),
            on: engine
        )
        #expect(workflow.status == .completed)
        let job = workflow.jobs[0]
        #expect(job.status == .completed)
        #expect(job.attempt == 3)
        #expect(job.failedAttempts.map(\.number) == [1, 2])
        #expect(job.failedAttempts.map(\.outcome) == [.failed, .failed])
        #expect(job.failedAttempts.map(\.error) == ["blip", "blip"])
        #expect(job.failedAttempts.map(\.errorCode) == ["SIMULATED", "SIMULATED"])
        #expect(job.nextAttemptAtMs == nil)
        // A failing attempt logs half of its steps and an error step; the last logs all.
        #expect(job.steps.map(\.attempt) == [1, 1, 2, 2, 3, 3])
        let retries = events.of(.jobRetryScheduled)
        #expect(retries.map(\.attempt) == [1, 2])
        #expect(retries.allSatisfy { $0.level == .warn && $0.error == "blip" && ($0.retryAtMs ?? 0) >= $0.timestampMs })
        #expect(events.of(.jobStarted).filter { $0.job?.position == 0 }.map(\.attempt) == [1, 2, 3])
        #expect(events.of(.jobFailed).isEmpty)
        #expect(workflow.jobs[1].attempt == 1)
    }

    @Test("when the last attempt fails the workflow fails, with every attempt recorded")
    func lastAttemptFails() async throws {
        let engine = EngineTesting.makeEngine()
        let (workflow, events) = try await EngineTesting.run(
            Self.request(["fail_job": "2", "max_attempts": "2", "backoff_ms": "1"]), on: engine
        )
        #expect(workflow.status == .failed)
        #expect(workflow.failedJobName == "Process")
        #expect(workflow.jobs[1].attempt == 2)
        #expect(workflow.jobs[1].failedAttempts.map(\.number) == [1, 2])
        #expect(events.of(.jobRetryScheduled).count == 1)
        #expect(events.of(.jobFailed).map(\.attempt) == [2])
    }

    @Test("a non-retryable error fails at once whatever the policy")
    func nonRetryable() async throws {
        let engine = EngineTesting.makeEngine()
        let (workflow, events) = try await EngineTesting.run(
            Self.request(["fail_job": "1", "max_attempts": "5", "fail_retryable": "false"]), on: engine
        )
        #expect(workflow.status == .failed)
        #expect(workflow.jobs[0].attempt == 1)
        #expect(events.of(.jobRetryScheduled).isEmpty)
    }

    @Test("a hanging attempt times out, is abandoned after the grace, and the next attempt completes the workflow")
    func hangingAttemptTimesOut() async throws {
        let engine = EngineTesting.makeEngine()
        let clock = ContinuousClock()
        let started = clock.now
        let (workflow, events) = try await EngineTesting.run(
            Self.request([
                "hang_job": "1", "hang_attempts": "1", "hang_ms": "600000", "timeout_ms": "100",
                "timeout_grace_ms": "50", "max_attempts": "2", "backoff_ms": "1",
            ]),
            on: engine
        )
        // A bound far below the 10-minute hang, and far above a loaded machine's delays.
        #expect(clock.now - started < .seconds(60), "the engine never waits for the hung attempt")
        #expect(workflow.status == .completed)
        let attempt = try #require(workflow.jobs[0].failedAttempts.first)
        #expect(attempt.outcome == .timedOut)
        #expect(attempt.errorCode == "TIMEOUT")
        #expect(attempt.error == "attempt 1 of Fetch timed out after 100 ms")
        #expect(events.of(.jobRetryScheduled).map(\.attempt) == [1])
    }

    @Test("a timeout is not retried when the policy lists TIMEOUT as non-retryable")
    func timeoutNotRetried() async throws {
        let engine = EngineTesting.makeEngine()
        let (workflow, _) = try await EngineTesting.run(
            Self.request([
                "hang_job": "1", "timeout_ms": "50", "timeout_grace_ms": "0", "max_attempts": "3", "no_retry_codes": "TIMEOUT",
            ]),
            on: engine
        )
        #expect(workflow.status == .failed)
        #expect(workflow.jobs[0].failedAttempts.map(\.outcome) == [.timedOut])
    }

    @Test("a deadline fails the workflow at the job it is at, without waiting for that job")
    func deadline() async throws {
        let engine = EngineTesting.makeEngine()
        let (workflow, events) = try await EngineTesting.run(
            Self.request(["steps": "1000", "step_delay_ms": "10", "workflow_timeout_ms": "150", "max_attempts": "3"]),
            on: engine
        )
        #expect(workflow.status == .failed)
        #expect(workflow.failedJobName == "Fetch")
        #expect(workflow.error?.contains("deadline of 150 ms") == true)
        #expect(workflow.jobs[0].failedAttempts.last?.errorCode == "DEADLINE_EXCEEDED")
        #expect(events.of(.jobRetryScheduled).isEmpty, "a deadline is not retried")
        let deadline = try #require(workflow.deadlineAtMs)
        #expect(deadline == workflow.startedAtMs + 150)
    }

    @Test("a cancel during the wait before a retry cancels at once")
    func cancelDuringBackoff() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            Self.request(["fail_job": "1", "max_attempts": "2", "backoff_ms": "60000"])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { $0.jobs[0].nextAttemptAtMs != nil }
        let cancelled = try await engine.cancel(id: workflow.id).value
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.jobs.map(\.status) == [.cancelled, .cancelled])
        #expect(cancelled.jobs[0].nextAttemptAtMs == nil)
    }

    @Test("a cancel of a job that ignores it ends the workflow after the job's grace")
    func cancelHangingJob() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            Self.request(["hang_job": "1", "hang_ms": "600000", "timeout_grace_ms": "50"])
        ).value
        try await EngineTesting.waitUntil(workflow.id, in: engine) { !$0.jobs[0].steps.isEmpty }
        _ = try await engine.cancel(id: workflow.id)
        let events = await EngineTesting.eventsUntilTerminal(of: workflow.id, in: engine.events, timeout: .seconds(60))
        #expect(events.last?.kind == .workflowCancelled)
    }

    @Test("a retry of the workflow gives the failed job its whole budget of attempts again")
    func manualRetryResetsBudget() async throws {
        let engine = EngineTesting.makeEngine()
        let (failed, _) = try await EngineTesting.run(
            Self.request(["fail_job": "1", "fail_attempts": "2", "max_attempts": "2", "backoff_ms": "1"]), on: engine
        )
        #expect(failed.status == .failed)
        #expect(failed.jobs[0].attempt == 2)
        let retried = try await engine.retry(id: failed.id).value.workflow
        #expect(retried.jobs[0].firstCountedAttempt == 3)
        let events = await EngineTesting.eventsUntilTerminal(of: failed.id, in: engine.events)
        #expect(events.last?.kind == .workflowCompleted)
        let finished = try await engine.workflow(id: failed.id)
        #expect(finished.jobs[0].attempt == 3)
        #expect(finished.jobs[0].failedAttempts.map(\.number) == [1, 2])
    }

    @Test("an attempt that returns after its timeout, within the grace, still counts as timed out")
    func returnsAfterTimeout() async throws {
        let template = WorkflowTemplate(
            type: "SLOW",
            jobs: [
                JobDefinition(name: "Slow", timeout: .milliseconds(30), cancellationGrace: .seconds(30)) { _ in
                    // Ignores cancellation, then returns as if it had succeeded.
                    await Task.detached { try? await Task.sleep(for: .milliseconds(200)) }.value
                },
            ]
        )
        let engine = EngineTesting.makeEngine([template])
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "SLOW"), on: engine)
        #expect(workflow.status == .failed)
        #expect(workflow.jobs[0].failedAttempts.map(\.outcome) == [.timedOut])
        #expect(workflow.error == "attempt 1 of Slow timed out after 30 ms")
    }

    @Test("a template with no jobs completes at once")
    func noJobs() async throws {
        let engine = EngineTesting.makeEngine([WorkflowTemplate(type: "EMPTY", jobs: [])])
        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "EMPTY"), on: engine)
        #expect(workflow.status == .completed)
        #expect(events.map(\.kind) == [.workflowStarted, .workflowCompleted])
    }

    @Test("a job function sees its attempt and a key that stays the same across attempts")
    func attemptAndIdempotencyKey() async throws {
        let seen = Box<[(Int, String)]>([])
        let template = WorkflowTemplate(
            type: "FLAKY",
            jobs: [
                JobDefinition(name: "Call", retryPolicy: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1))) { context in
                    seen.update { $0.append((context.attempt, context.idempotencyKey)) }
                    if context.attempt < 3 { throw JobError("try again") }
                },
            ]
        )
        let engine = EngineTesting.makeEngine([template])
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "FLAKY"), on: engine)
        #expect(workflow.status == .completed)
        #expect(seen.current.map(\.0) == [1, 2, 3])
        #expect(Set(seen.current.map(\.1)) == [workflow.jobs[0].id])
    }
}
