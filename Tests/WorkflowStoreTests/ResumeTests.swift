import Foundation
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// Restarts on the real SQLite file: what a RUNNING workflow does when an engine restores it.
@Suite("Resume after a restart")
struct ResumeTests {
    static let logger = SQLiteEventStoreTests.logger

    /// Writes `workflow` (started at sequence 1, its first job started at 2) into a new data
    /// directory, as a process that died would have left it.
    static func directoryHolding(_ workflow: Workflow) throws -> String {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: logger)
        let job = JobRef(id: workflow.jobs[0].id, name: workflow.jobs[0].name, position: 0)
        store.enqueue(.workflow(workflow, firstSequence: 1))
        store.enqueue(.events([
            SQLiteEventStoreTests.event(1, .workflowStarted, workflowID: workflow.id),
            SQLiteEventStoreTests.event(2, .jobStarted, workflowID: workflow.id, job: job),
            SQLiteEventStoreTests.event(3, workflowID: workflow.id, job: job),
        ]))
        store.flush()
        return directory
    }

    /// Restores an engine on `directory` and waits until `id` ends.
    static func restoreAndFinish(_ id: String, in directory: String) async throws -> (Workflow, [WorkflowModel.LogEvent]) {
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: logger)
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: logger)
        let restored = try await engine.restore()
        #expect(restored.resumed == 1)
        let deadline = ContinuousClock.now + .seconds(20)
        while try await engine.workflow(id: id).status == .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        store.flush()
        let workflow = try await engine.workflow(id: id)
        await engine.shutdown()
        return (workflow, try store.events(after: 3, through: 1_000_000, limit: 1_000).filter { $0.workflowID == id })
    }

    @Test("a job that was running when the process died runs again as its next attempt, and its steps stay")
    func crashedAttemptRunsAgain() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "3", "steps": "2", "step_delay_ms": "0", "max_attempts": "3"]
        workflow.jobs[0].steps = [Step(id: "\(workflow.jobs[0].id)-s1", message: "step 3", timestampMs: 0, sequence: 3)]
        let directory = try Self.directoryHolding(workflow)

        let (resumed, events) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .completed)
        #expect(resumed.jobs.map(\.attempt) == [2, 1, 1])
        #expect(resumed.jobs[0].failedAttempts.map(\.outcome) == [.interrupted])
        #expect(resumed.jobs[0].steps.map(\.attempt) == [1, 2, 2])
        #expect(resumed.jobs[0].steps.first?.sequence == 3)
        #expect(Array(events.map(\.kind).prefix(2)) == [.jobInterrupted, .jobStarted])
        #expect(events.first?.message == "Job Fetch attempt 1 was interrupted: interrupted: the server stopped while attempt 1 ran (a crash, a kill or a power loss); attempt 2 starts now")
        #expect(events.map(\.sequence) == Array(4...UInt64(3 + events.count)), "sequences continue with no gap")
    }

    @Test("a job waiting for its next attempt keeps waiting until its time, with no extra attempt")
    func waitingJobKeepsWaiting() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "1", "steps": "1", "step_delay_ms": "0", "max_attempts": "2"]
        workflow.jobs = [workflow.jobs[0]]
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        workflow.jobs[0].failedAttempts = [
            JobAttempt(number: 1, outcome: .failed, startedAtMs: now - 50, finishedAtMs: now - 10, error: "blip", errorCode: "ERROR", stack: ""),
        ]
        workflow.jobs[0].nextAttemptAtMs = now + 400
        let directory = try Self.directoryHolding(workflow)

        let (resumed, events) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .completed)
        #expect(resumed.jobs[0].attempt == 2)
        #expect(resumed.jobs[0].failedAttempts.map(\.outcome) == [.failed])
        #expect(!events.contains { $0.kind == .jobInterrupted })
        let started = try #require(events.first { $0.kind == .jobStarted })
        #expect(started.timestampMs >= now + 400, "the attempt started at its time, not at the restart")
    }

    @Test("a job whose policy has no attempt left fails at the interruption")
    func noAttemptLeft() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "3", "steps": "2", "max_attempts": "2"]
        workflow.jobs[0].attempt = 2
        let directory = try Self.directoryHolding(workflow)

        let (resumed, events) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .failed)
        #expect(resumed.failedJobName == "Fetch")
        #expect(resumed.jobs[0].failedAttempts.map(\.number) == [2])
        #expect(events.first?.message.hasSuffix("no attempt is left") == true)
    }

    @Test("a workflow whose deadline passed while the server was down fails at the job it was at")
    func deadlinePassedWhileDown() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "3", "max_attempts": "5", "workflow_timeout_ms": "1000"]
        workflow.jobs[0].status = .completed
        workflow.jobs[1].status = .running
        workflow.deadlineAtMs = Int64(Date().timeIntervalSince1970 * 1000) - 1
        let directory = try Self.directoryHolding(workflow)

        let (resumed, _) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .failed)
        #expect(resumed.failedJobName == "Process")
        #expect(resumed.jobs[1].failedAttempts.map(\.errorCode) == ["INTERRUPTED"])
        #expect(resumed.error?.hasPrefix("the workflow's deadline of 1 s passed at job Process") == true)
    }

    @Test("an attempt a shutdown interrupted is not counted: the job still gets its whole budget, and the retry events count it")
    func shutdownInterruptionIsNotCounted() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "1", "steps": "0", "max_attempts": "2", "fail_job": "1", "fail_attempts": "3", "backoff_ms": "1"]
        workflow.jobs = [workflow.jobs[0]]
        workflow.jobs[0].failedAttempts = [
            JobAttempt(number: 1, outcome: .interrupted, startedAtMs: 1_000, finishedAtMs: 1_100, error: "interrupted", errorCode: "INTERRUPTED", stack: ""),
        ]
        workflow.jobs[0].uncountedAttempts = 1
        let directory = try Self.directoryHolding(workflow)

        let (resumed, events) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .failed)
        #expect(resumed.jobs[0].attempt == 3, "two counted attempts after the uncounted one")
        #expect(resumed.jobs[0].failedAttempts.map(\.outcome) == [.interrupted, .failed, .failed])
        let retry = try #require(events.first { $0.kind == .jobRetryScheduled })
        #expect(retry.message.contains("attempt 3 of 3 starts in"), "\(retry.message)")
    }

    @Test("a retry of the workflow counts attempts afresh, an earlier uncounted interruption included")
    func retryResetsUncountedAttempts() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.status = .failed
        workflow.jobs[0].status = .failed
        workflow.jobs[0].attempt = 2
        workflow.jobs[0].uncountedAttempts = 1
        workflow.jobs[1].status = .cancelled
        workflow.jobs[2].status = .cancelled
        let directory = try Self.directoryHolding(workflow)
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: Self.logger)
        try await engine.restore()
        let retried = try await engine.retry(id: workflow.id).value.workflow
        #expect(retried.jobs[0].firstCountedAttempt == 3)
        #expect(retried.jobs[0].uncountedAttempts == 0)
        #expect(retried.jobs[0].countedAttempts == 1)
        await engine.shutdown()
    }

    @Test("a workflow a caller asked to cancel before the process died ends cancelled, not run on")
    func cancelRequestSurvives() async throws {
        var workflow = SQLiteEventStoreTests.runningWorkflow()
        workflow.params = ["jobs": "3", "steps": "2", "max_attempts": "3"]
        workflow.cancelReason = "pressed Cancel"
        let directory = try Self.directoryHolding(workflow)

        let (resumed, events) = try await Self.restoreAndFinish(workflow.id, in: directory)
        #expect(resumed.status == .cancelled)
        #expect(resumed.jobs.map(\.status) == [.cancelled, .cancelled, .cancelled])
        #expect(!events.contains { $0.kind == .jobStarted || $0.kind == .jobInterrupted })
        #expect(events.last?.message == "Workflow TEST cancelled: pressed Cancel")
    }

    @Test("a shutdown interrupts the running job without using up an attempt; the next engine on the same file resumes it")
    func shutdownThenResume() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let id: String
        let interruptedAt: UInt64
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
            let engine = WorkflowEngine(templates: .builtIn, store: store, logger: Self.logger)
            try await engine.restore()
            id = try await engine.start(
                WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "50", "step_delay_ms": "20"])
            ).value.id
            while try await engine.workflow(id: id).jobs[0].steps.count < 2 {
                try await Task.sleep(for: .milliseconds(5))
            }
            await engine.shutdown(gracePeriod: .milliseconds(30))
            store.flush()
            interruptedAt = engine.events.lastSequence
            #expect(try store.events(after: interruptedAt - 1, through: interruptedAt, limit: 1).first?.kind == .jobInterrupted)
        }
        // The first store's directory lock goes with the last reference to it.
        var store: SQLiteEventStore?
        let deadline = ContinuousClock.now + .seconds(10)
        while store == nil, ContinuousClock.now < deadline {
            store = try? SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
            if store == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let second = try #require(store)
        let engine = WorkflowEngine(templates: .builtIn, store: second, logger: Self.logger)
        #expect(try await engine.restore().resumed == 1)
        let finishBy = ContinuousClock.now + .seconds(20)
        while try await engine.workflow(id: id).status == .running, ContinuousClock.now < finishBy {
            try await Task.sleep(for: .milliseconds(5))
        }
        let resumed = try await engine.workflow(id: id)
        #expect(resumed.status == .completed)
        #expect(resumed.jobs[0].attempt == 2)
        #expect(resumed.jobs[0].failedAttempts.map(\.outcome) == [.interrupted])
        second.flush()
        let after = try second.events(after: interruptedAt, through: 1_000_000, limit: 1_000)
        #expect(after.first?.kind == .jobStarted)
        #expect(after.first?.attempt == 2)
        await engine.shutdown()
    }
}
