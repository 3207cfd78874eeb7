import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Every event of one workflow in the log, in order.
private func allEvents(of id: String, in log: EventLog) -> [WorkflowModel.LogEvent] {
    guard case .events(let events, _) = log.read(after: 0, matching: EventFilter(workflowID: id), limit: 100_000) else { return [] }
    return events
}

@Suite("Cancel, retry and list")
struct CancelRetryListTests {
    @Test("cancelling a running job stops it; it and later jobs become CANCELLED, then the workflow")
    func cancelWhileAJobRuns() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "1000", "step_delay_ms": "20"])).value
        while try await engine.workflow(id: workflow.id).jobs[0].steps.count < 2 {
            try await Task.sleep(for: .milliseconds(2))
        }
        let answer = try await engine.cancel(id: workflow.id, reason: "operator asked").value
        #expect(answer.status == .running, "cancellation is cooperative")
        #expect(answer.cancelReason == "operator asked")

        let stopped = try await EngineTesting.settled(workflow.id, in: engine)
        #expect(stopped.status == .cancelled)
        #expect(stopped.jobs.map(\.status) == [.cancelled, .cancelled, .cancelled])
        #expect(stopped.jobs[0].steps.count < 1000, "the running job stopped early")
        #expect(stopped.jobs[0].steps.count >= 2, "steps logged before the cancel are kept")

        let events = allEvents(of: workflow.id, in: engine.events)
        let kinds = events.map(\.kind)
        #expect(Array(kinds.suffix(4)) == [.jobCancelled, .jobCancelled, .jobCancelled, .workflowCancelled])
        let request = try #require(events.first { $0.kind == .workflowCancelRequested })
        #expect(request.error == "operator asked" && request.level == .warn)
        #expect(kinds.filter { $0 == .workflowCancelRequested }.count == 1)
        let requestIndex = try #require(kinds.firstIndex(of: .workflowCancelRequested))
        #expect(!kinds[requestIndex...].contains(.jobStarted), "told at once, before the job stopped")
        #expect(allEvents(of: workflow.id, in: engine.events).last?.error == "operator asked")
    }

    @Test("cancelling a finished workflow is a failed precondition; an unknown one is not found")
    func cancelFinished() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"])).value
        _ = try await EngineTesting.settled(workflow.id, in: engine)
        await #expect(throws: EngineError.self) { _ = try await engine.cancel(id: workflow.id) }
        do {
            _ = try await engine.cancel(id: workflow.id)
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("COMPLETED"))
        }
        await #expect(throws: EngineError.workflowNotFound("wf-none")) { _ = try await engine.cancel(id: "wf-none") }
    }

    @Test("retry re-runs from the failed job, keeps earlier steps and marks the new attempt")
    func retryFromTheFailedJob() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "4", "step_delay_ms": "0", "fail_job": "2"])
        ).value
        let failed = try await EngineTesting.settled(workflow.id, in: engine)
        #expect(failed.status == .failed)
        let stepsBefore = failed.jobs.map(\.steps)

        let (running, resumed) = try await engine.retry(id: workflow.id).value
        #expect(running.status == .running)
        #expect(running.attempt == 2)
        #expect(resumed.name == "Process")
        #expect(running.jobs.map(\.status) == [.completed, .pending, .pending])
        #expect(running.jobs.map(\.attempt) == [1, 2, 2])

        // The TEST template fails job 2 every time: the retry fails again, at the same job.
        let again = try await EngineTesting.settled(workflow.id, in: engine)
        #expect(again.status == .failed)
        #expect(again.attempt == 2)
        #expect(again.jobs[0].steps == stepsBefore[0], "completed jobs are untouched")
        let processSteps = again.jobs[1].steps
        #expect(processSteps.prefix(stepsBefore[1].count) == stepsBefore[1][...], "earlier attempt's steps are kept")
        #expect(processSteps.filter { $0.attempt == 2 }.count == stepsBefore[1].count, "the new attempt logged its own")
        #expect(Set(processSteps.map(\.id)).count == processSteps.count, "step ids stay unique")

        let kinds = allEvents(of: workflow.id, in: engine.events).map(\.kind)
        #expect(kinds.filter { $0 == .workflowRetried }.count == 1)
        #expect(kinds.filter { $0 == .workflowFailed }.count == 2)
    }

    @Test("who started, retried and cancelled a workflow is on the workflow and on the events that record it")
    func auditTrail() async throws {
        let engine = EngineTesting.makeEngine()
        let failing = try await engine.start(
            WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "1", "step_delay_ms": "0", "fail_job": "1"], userID: "alice"),
            by: "root"
        ).value
        #expect(failing.startedBy == "root" && failing.userID == "alice")
        _ = try await EngineTesting.settled(failing.id, in: engine)
        let retried = try await engine.retry(id: failing.id, by: "ops").value.workflow
        #expect(retried.startedBy == "root" && retried.retriedBy == "ops" && retried.cancelledBy.isEmpty)

        let slow = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1000", "step_delay_ms": "20"]), by: "alice").value
        let cancelling = try await engine.cancel(id: slow.id, reason: "wrong file", by: "bob").value
        #expect(cancelling.cancelledBy == "bob")
        #expect(try await EngineTesting.settled(slow.id, in: engine).cancelledBy == "bob")

        let events = allEvents(of: failing.id, in: engine.events) + allEvents(of: slow.id, in: engine.events)
        let audited = events.filter { !$0.actor.isEmpty }
        #expect(audited.map(\.kind) == [.workflowStarted, .workflowRetried, .workflowStarted, .workflowCancelRequested])
        #expect(audited.map(\.actor) == ["root", "ops", "alice", "bob"])
        #expect(audited.map { $0.message.hasSuffix(" by \($0.actor)") || $0.message.contains(" by \($0.actor):") } == [true, true, true, true])

        let anonymous = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"])).value
        #expect(anonymous.startedBy.isEmpty)
        #expect(allEvents(of: anonymous.id, in: engine.events).first?.message == "Workflow TEST started with 3 jobs")
    }

    @Test("retry of a workflow that did not fail is a failed precondition; twice at once starts one run")
    func retryPreconditions() async throws {
        let engine = EngineTesting.makeEngine()
        let completed = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"])).value
        _ = try await EngineTesting.settled(completed.id, in: engine)
        await #expect(throws: EngineError.self) { _ = try await engine.retry(id: completed.id) }

        let failing = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "10", "step_delay_ms": "50", "fail_job": "1"])).value
        _ = try await EngineTesting.settled(failing.id, in: engine)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<2 {
                group.addTask { (try? await engine.retry(id: failing.id)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1, "exactly one of two concurrent retries wins")
        let retried = try await EngineTesting.settled(failing.id, in: engine)
        #expect(retried.attempt == 2)
        #expect(allEvents(of: failing.id, in: engine.events).filter { $0.kind == .workflowRetried }.count == 1)
    }

    @Test("list: newest first, filters, and pages that do not shift when workflows start")
    func listing() async throws {
        let engine = EngineTesting.makeEngine()
        var ids: [String] = []
        for index in 0..<7 {
            let user = index.isMultiple(of: 2) ? "ada" : "bob"
            ids.append(try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "0"], userID: user)).value.id)
        }
        for id in ids { _ = try await EngineTesting.settled(id, in: engine) }

        let first = try await engine.list(WorkflowQuery(pageSize: 3))
        #expect(first.workflows.map(\.id) == Array(ids.reversed().prefix(3)))
        let newcomer = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "0"])).value
        let second = try await engine.list(WorkflowQuery(pageSize: 3, pageToken: first.nextPageToken))
        #expect(second.workflows.map(\.id) == Array(ids.reversed().dropFirst(3).prefix(3)))
        let third = try await engine.list(WorkflowQuery(pageSize: 3, pageToken: second.nextPageToken))
        #expect(third.workflows.map(\.id) == [ids[0]])
        #expect(third.nextPageToken == nil)
        _ = newcomer

        let ada = try await engine.list(WorkflowQuery(statuses: [.completed], userID: "ada", pageSize: 100))
        #expect(ada.workflows.map(\.id) == [ids[6], ids[4], ids[2], ids[0]])
        let none = try await engine.list(WorkflowQuery(statuses: [.failed], pageSize: 100))
        #expect(none.workflows.isEmpty)

        await #expect(throws: EngineError.self) { _ = try await engine.list(WorkflowQuery(pageSize: 0)) }
        await #expect(throws: EngineError.self) { _ = try await engine.list(WorkflowQuery(pageToken: "not-a-token")) }
        await #expect(throws: EngineError.self) { _ = try await engine.list(WorkflowQuery(createdAfterMs: 10, createdBeforeMs: 10)) }
    }

    @Test("filters: type, user, job and entity tag; terminal events always pass")
    func eventFilters() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "3", "step_delay_ms": "0"], userID: "ada")).value
        let done = try await EngineTesting.settled(workflow.id, in: engine)
        let all = allEvents(of: workflow.id, in: engine.events)
        func matching(_ filter: EventFilter) -> [WorkflowModel.LogEvent] { all.filter(filter.matches) }

        let secondJob = done.jobs[1].id
        let ofJob = matching(EventFilter(jobID: secondJob))
        #expect(ofJob.allSatisfy { $0.job?.id == secondJob || $0.isTerminalWorkflowEvent })
        #expect(ofJob.last?.kind == .workflowCompleted)
        #expect(ofJob.count == all.filter { $0.job?.id == secondJob }.count + 1)

        let tagged = matching(EventFilter(entityTag: "ITEM-1-2"))
        #expect(tagged.map(\.kind) == [.stepLogged, .workflowCompleted])
        #expect(matching(EventFilter(userID: "bob")).isEmpty)
        #expect(matching(EventFilter(workflowType: "TEST", userID: "ada")).count == all.count)
    }
}
