import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("WorkflowEngine")
struct WorkflowEngineTests {
    @Test("start returns RUNNING with pending jobs before any job runs")
    func startReturnsBeforeJobsRun() async throws {
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let entered = Box(false)
        let blocking = WorkflowTemplate(type: "BLOCKING", jobs: [
            JobDefinition(name: "Wait") { _ in
                entered.update { $0 = true }
                for await _ in release { break }
            },
            JobDefinition(name: "After") { _ in },
        ])
        let engine = EngineTesting.makeEngine([blocking])

        let workflow = try await engine.start(WorkflowRequest(type: "BLOCKING", userID: "u-1", summary: "Block")).value

        #expect(workflow.status == .running)
        #expect(workflow.jobs.map(\.status) == [.pending, .pending])
        #expect(workflow.jobs.map(\.name) == ["Wait", "After"])
        #expect(workflow.finishedAtMs == nil)
        #expect(workflow.id.hasPrefix("wf-"))
        #expect(workflow.summary == "Block")
        let first = engine.events.read(after: 0, matching: .all, limit: 1)
        guard case .events(let events, _) = first else {
            Issue.record("unexpected \(first)")
            return
        }
        #expect(events.first?.kind == .workflowStarted)
        #expect(events.first?.sequence == 1)
        #expect(events.first?.workflowStatus == .running)

        releaseContinuation.yield()
        let all = await EngineTesting.eventsUntilTerminal(of: workflow.id, in: engine.events)
        #expect(entered.current)
        #expect(all.last?.kind == .workflowCompleted)
        let started = try #require(all.first { $0.kind == .jobStarted })
        #expect(started.sequence > 1)
    }

    @Test("a workflow's revision changes with its tree and only then, and never repeats")
    func revisionFollowsTheTree() async throws {
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let gated = WorkflowTemplate(type: "GATED", jobs: [
            JobDefinition(name: "Wait") { context in
                context.logStep("before the gate")
                for await _ in release { break }
                context.logStep("after the gate")
            },
        ])
        let quick = WorkflowTemplate(type: "QUICK", jobs: [JobDefinition(name: "Nothing") { _ in }])
        let engine = EngineTesting.makeEngine([gated, quick])
        let workflow = try await engine.start(WorkflowRequest(type: "GATED")).value
        let other = try await engine.start(WorkflowRequest(type: "QUICK")).value
        while try await engine.workflow(id: workflow.id).jobs[0].steps.isEmpty {
            try await Task.sleep(for: .milliseconds(2))
        }
        // The job waits at the gate: nothing changes, so neither does the revision.
        let waiting = try await engine.workflowWithRevision(id: workflow.id)
        #expect(try await engine.workflowWithRevision(id: workflow.id).revision == waiting.revision)
        #expect(try await engine.workflowWithRevision(id: other.id).revision != waiting.revision)

        releaseContinuation.yield()
        releaseContinuation.finish()
        while try await engine.workflow(id: workflow.id).status == .running {
            try await Task.sleep(for: .milliseconds(2))
        }
        let done = try await engine.workflowWithRevision(id: workflow.id)
        #expect(done.revision > waiting.revision)
        #expect(done.workflow.jobs[0].steps.map(\.message) == ["before the gate", "after the gate"])
        #expect(try await engine.workflowWithRevision(id: workflow.id).revision == done.revision)
        await #expect(throws: EngineError.self) { try await engine.workflowWithRevision(id: "wf-unknown") }
    }

    @Test("jobs run strictly one after another")
    func jobsRunSequentially() async throws {
        let engine = EngineTesting.makeEngine()
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "5", "steps": "4", "step_delay_ms": "1"])

        let (workflow, events) = try await EngineTesting.run(request, on: engine)

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Fetch", "Process", "Validate", "Save", "Job 5"])
        #expect(workflow.jobs.map(\.status) == Array(repeating: .completed, count: 5))
        #expect(events.first?.kind == .workflowStarted)
        #expect(events.last?.kind == .workflowCompleted)
        for position in 0..<5 {
            let started = try #require(events.first(.jobStarted, position: position))
            let completed = try #require(events.first(.jobCompleted, position: position))
            #expect(started.sequence < completed.sequence)
            let steps = events.filter { $0.kind == .stepLogged && $0.job?.position == position }
            #expect(steps.count == 4)
            #expect(steps.allSatisfy { started.sequence < $0.sequence && $0.sequence < completed.sequence })
            if position > 0 {
                let previous = try #require(events.first(.jobCompleted, position: position - 1))
                #expect(previous.sequence < started.sequence, "job \(position) started before job \(position - 1) completed")
            }
            let job = workflow.jobs[position]
            #expect(job.progress == 1)
            #expect(job.startedAtMs != nil && job.finishedAtMs != nil)
            #expect(job.startedAtMs! <= job.finishedAtMs!)
        }
        // Every event of the workflow, in one strictly increasing order.
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(events.of(.jobStarted).allSatisfy { $0.message == "Job \($0.job!.name) started" && $0.level == .info })
        #expect(events.of(.jobCompleted).allSatisfy { $0.message == "Job \($0.job!.name) completed in \($0.stats!.durationMs) ms" })
        #expect(events.last?.message == "Workflow \(workflow.type) completed in \(workflow.stats.durationMs) ms")
        #expect(workflow.jobs.map(\.id) == (1...5).map { "\(workflow.id)-j\($0)" })
    }

    @Test("the first failing job fails the workflow and cancels the later jobs")
    func failFast() async throws {
        let importAssets = WorkflowTemplate(type: "IMPORT_ASSETS", jobs: [
            JobDefinition(name: "Fetch External") { context in
                context.logStep("Fetched P-101", entity: EntityReference(tag: "P-101", route: "/assets/101"))
                context.recordStat("itemsFetched", 1)
            },
            JobDefinition(name: "Process Data") { context in
                context.logStep("Checking P-101", level: .debug)
                context.incrementStat("itemsFailed")
                throw JobError("Invalid schema for P-101")
            },
            JobDefinition(name: "Validate") { _ in Issue.record("ran after a failure") },
            JobDefinition(name: "Save to DB") { _ in Issue.record("ran after a failure") },
        ])
        let engine = EngineTesting.makeEngine([importAssets])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "IMPORT_ASSETS"), on: engine)

        #expect(workflow.status == .failed)
        #expect(workflow.jobs.map(\.status) == [.completed, .failed, .cancelled, .cancelled])
        #expect(workflow.error == "Invalid schema for P-101")
        #expect(workflow.failedJobID == workflow.jobs[1].id)
        #expect(workflow.failedJobName == "Process Data")
        #expect(workflow.finishedAtMs != nil)
        #expect(workflow.stats.counters == ["itemsFetched": 1, "itemsFailed": 1])
        let failed = workflow.jobs[1]
        #expect(failed.error == "Invalid schema for P-101")
        #expect(failed.stack?.contains("WorkflowEngineTests.swift") == true)
        #expect(failed.steps.map(\.message) == ["Checking P-101"])
        #expect(failed.stats.counters == ["itemsFailed": 1])
        #expect(workflow.jobs[2].startedAtMs == nil)

        let tail = events.suffix(5).map(\.kind)
        #expect(tail == [.jobFailed, .jobCancelled, .jobCancelled, .failureNotice, .workflowFailed])
        let jobFailed = try #require(events.first(.jobFailed, position: 1))
        #expect(jobFailed.level == .error)
        #expect(jobFailed.error == "Invalid schema for P-101")
        #expect(jobFailed.stack == failed.stack)
        #expect(jobFailed.jobStatus == .failed)
        #expect(events.of(.jobCancelled).map { $0.job!.position } == [2, 3])
        #expect(events.of(.jobCancelled).allSatisfy { $0.level == .warn && $0.jobStatus == .cancelled })
        let notice = try #require(events.of(.failureNotice).first)
        #expect(notice.message == "IMPORT_ASSETS failed at Process Data: Invalid schema for P-101")
        #expect(notice.level == .error)
        #expect(notice.error == "Invalid schema for P-101")
        #expect(notice.job?.name == "Process Data")
        let end = try #require(events.last)
        #expect(end.kind == .workflowFailed)
        #expect(end.level == .error)
        #expect(end.workflowStatus == .failed)
        #expect(end.error == "Invalid schema for P-101")
        #expect(end.stats == workflow.stats)
        #expect(!events.contains { $0.kind == .jobStarted && $0.job!.position > 1 })
    }

    @Test("a plain Swift error is recorded with its type as the stack")
    func plainErrorStack() async throws {
        struct SchemaError: Error { var tag: String }
        let template = WorkflowTemplate(type: "PLAIN", jobs: [
            JobDefinition(name: "Only") { _ in throw SchemaError(tag: "P-7") },
        ])
        let engine = EngineTesting.makeEngine([template])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "PLAIN"), on: engine)

        #expect(workflow.status == .failed)
        let stack = try #require(workflow.jobs[0].stack)
        #expect(stack.contains("SchemaError"))
        #expect(stack.contains("P-7"))
        #expect(events.of(.failureNotice).first?.message == "PLAIN failed at Only: \(workflow.jobs[0].error!)")
    }

    @Test("the TEST template fails at fail_job with fail_message")
    func testTemplateFailure() async throws {
        let engine = EngineTesting.makeEngine()
        let request = WorkflowRequest(
            type: "TEST",
            params: ["jobs": "4", "steps": "6", "step_delay_ms": "0", "fail_job": "2", "fail_message": "Disk full"]
        )

        let (workflow, events) = try await EngineTesting.run(request, on: engine)

        #expect(workflow.status == .failed)
        #expect(workflow.jobs.map(\.status) == [.completed, .failed, .cancelled, .cancelled])
        #expect(workflow.failedJobName == "Process")
        #expect(workflow.jobs[1].stats.counters == ["itemsProcessed": 3, "itemsFailed": 1])
        #expect(workflow.jobs[1].steps.last?.level == .error)
        #expect(workflow.jobs[1].steps.last?.entity?.tag == "ITEM-2-4")
        #expect(workflow.stats.counters == ["itemsProcessed": 9, "itemsFailed": 1])
        #expect(events.of(.failureNotice).first?.message == "TEST failed at Process: Disk full")
    }

    @Test("a completed workflow sums its jobs' counters and measures durations")
    func completedStats() async throws {
        let template = WorkflowTemplate(type: "STATS", jobs: [
            JobDefinition(name: "First") { context in
                try await Task.sleep(for: .milliseconds(20))
                context.recordStat("itemsProcessed", 5)
                context.incrementStat("itemsCreated", by: 2)
            },
            JobDefinition(name: "Second") { context in
                try await Task.sleep(for: .milliseconds(20))
                for _ in 0..<3 {
                    context.incrementStat("itemsProcessed")
                }
            },
        ])
        let engine = EngineTesting.makeEngine([template])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "STATS"), on: engine)

        #expect(workflow.status == .completed)
        #expect(workflow.jobs[0].stats.counters == ["itemsProcessed": 5, "itemsCreated": 2])
        #expect(workflow.jobs[1].stats.counters == ["itemsProcessed": 3])
        #expect(workflow.stats.counters == ["itemsProcessed": 8, "itemsCreated": 2])
        #expect(workflow.jobs.allSatisfy { $0.stats.durationMs >= 20 })
        #expect(workflow.stats.durationMs >= workflow.jobs.map(\.stats.durationMs).reduce(0, +))
        #expect(workflow.finishedAtMs != nil && workflow.finishedAtMs! >= workflow.startedAtMs)
        let end = try #require(events.last)
        #expect(end.kind == .workflowCompleted)
        #expect(end.level == .info)
        #expect(end.workflowStatus == .completed)
        #expect(end.stats == workflow.stats)
        #expect(events.first(.jobCompleted, position: 0)?.stats == workflow.jobs[0].stats)
    }

    @Test("with no params the TEST template runs a short default and completes")
    func testTemplateDefaults() async throws {
        let engine = EngineTesting.makeEngine()

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "TEST"), on: engine)

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Fetch", "Process", "Validate"])
        #expect(workflow.jobs.allSatisfy { $0.steps.count == 3 })
        #expect(workflow.stats.counters == ["itemsProcessed": 9])
        let step = try #require(workflow.jobs[1].steps.last)
        #expect(step.message == "Processed item 3 of 3")
        #expect(step.entity == EntityReference(tag: "ITEM-2-3", route: "/items/2-3", id: "2-3", type: "TestItem"))
        let progress = events.filter { $0.kind == .progressUpdated && $0.job?.position == 0 }
        #expect(progress.map(\.progress) == [1.0 / 3, 2.0 / 3, 1])
        #expect(progress.last?.progressMessage == "Processed 3/3 items")
    }

    @Test("unknown workflow type lists the known types")
    func unknownType() async throws {
        let engine = EngineTesting.makeEngine([WorkflowTemplate(type: "IMPORT_ASSETS", jobs: [])])

        let error = await #expect(throws: EngineError.self) {
            try await engine.start(WorkflowRequest(type: "NOPE")).value
        }

        #expect(error == .unknownWorkflowType("NOPE", known: ["IMPORT_ASSETS", "TEST"]))
        #expect(error?.code == .unknownWorkflowType)
        #expect(error?.knownTypes == ["IMPORT_ASSETS", "TEST"])
        #expect(error?.message.contains("IMPORT_ASSETS, TEST") == true)
        #expect(engine.knownTypes == ["IMPORT_ASSETS", "TEST"])
        #expect(engine.events.lastSequence == 0)
    }

    @Test(
        "bad TEST params are refused naming the param",
        arguments: [
            (["jobs": "0"], "params.jobs"),
            (["jobs": "101"], "params.jobs"),
            (["steps": "abc"], "params.steps"),
            (["steps": "100001"], "params.steps"),
            (["step_delay_ms": "-1"], "params.step_delay_ms"),
            (["jobs": "3", "fail_job": "4"], "params.fail_job"),
            (["fail_job": "0"], "params.fail_job"),
        ]
    )
    func invalidParams(params: [String: String], field: String) async throws {
        let engine = EngineTesting.makeEngine()

        let error = await #expect(throws: EngineError.self) {
            try await engine.start(WorkflowRequest(type: "TEST", params: params)).value
        }

        #expect(error?.code == .invalidArgument)
        #expect(error?.field == field)
        #expect(engine.events.lastSequence == 0)
    }

    @Test("a planned template is planned once per start, and makes the same jobs and deadline again for valid parameters only")
    func plannedTemplate() async throws {
        let plans = Box(0)
        let planned = WorkflowTemplate(type: "PLANNED") { params throws(EngineError) in
            plans.update { $0 += 1 }
            guard let count = params["count"].flatMap({ Int($0) }), count > 0 else {
                throw .invalidArgument(field: "params.count", reason: "must be a positive integer")
            }
            let jobs = (1...count).map { number in JobDefinition(name: "Job \(number)") { _ in } }
            return WorkflowPlan(jobs: jobs, deadline: .seconds(60))
        }
        let engine = EngineTesting.makeEngine([planned])

        let started = try await engine.start(WorkflowRequest(type: "PLANNED", params: ["count": "2"])).value

        #expect(plans.current == 1)
        #expect(started.jobs.map(\.name) == ["Job 1", "Job 2"])
        #expect(started.deadlineAtMs == started.startedAtMs + 60_000)
        let error = await #expect(throws: EngineError.self) {
            try await engine.start(WorkflowRequest(type: "PLANNED", params: ["count": "none"])).value
        }
        #expect(error?.field == "params.count")
        #expect(plans.current == 2)
        #expect(planned.makeJobs(["count": "3"]).map(\.name) == ["Job 1", "Job 2", "Job 3"])
        #expect(planned.deadline(["count": "1"]) == .seconds(60))
        #expect(planned.makeJobs(["count": "0"]).isEmpty)
        #expect(planned.deadline(["count": "0"]) == nil)
    }

    @Test("a failed planned workflow's retry plans its jobs again from its parameters, once")
    func plannedTemplateRetry() async throws {
        let plans = Box(0)
        let runs = Box(0)
        let planned = WorkflowTemplate(type: "PLANNED") { _ throws(EngineError) in
            plans.update { $0 += 1 }
            return WorkflowPlan(jobs: [
                JobDefinition(name: "Once") { _ in },
                JobDefinition(name: "Flaky") { _ in
                    if runs.update({ $0 += 1; return $0 }) == 1 { throw JobError("first run fails") }
                },
            ])
        }
        let engine = EngineTesting.makeEngine([planned])
        let workflow = try await engine.start(WorkflowRequest(type: "PLANNED")).value
        #expect(try await EngineTesting.settled(workflow.id, in: engine).status == .failed)

        _ = try await engine.retry(id: workflow.id).value
        let retried = try await EngineTesting.settled(workflow.id, in: engine)

        #expect(retried.status == .completed)
        #expect(retried.jobs.map(\.name) == ["Once", "Flaky"])
        #expect(runs.current == 2)
        // The ended workflow let go of its jobs; the retry made them again.
        #expect(plans.current == 2)
    }

    @Test("an unknown workflow id is not found")
    func unknownID() async throws {
        let engine = EngineTesting.makeEngine()

        let error = await #expect(throws: EngineError.self) {
            try await engine.workflow(id: "wf-missing")
        }

        #expect(error == .workflowNotFound("wf-missing"))
        #expect(error?.code == .workflowNotFound)
    }

    @Test("a retried start with the same request id returns the same workflow")
    func requestIDMakesStartIdempotent() async throws {
        let engine = EngineTesting.makeEngine()
        let request = WorkflowRequest(type: "TEST", params: ["steps": "0"], requestID: "req-1")

        let first = try await engine.start(request).value
        let second = try await engine.start(request).value
        var other = request
        other.params["steps"] = "1"
        let error = await #expect(throws: EngineError.self) {
            try await engine.start(other).value
        }

        #expect(first.id == second.id)
        #expect(first.requestID == "req-1")
        #expect(error?.field == "request_id")
        #expect(error?.code == .alreadyExists)
        #expect(error?.message.contains(first.id) == true, "the error names the existing workflow")
        // Request ids are per user: another user's same id starts a workflow of its own and
        // learns nothing of the first.
        var otherUser = other
        otherUser.userID = "bob"
        let bobs = try await engine.start(otherUser).value
        #expect(bobs.id != first.id && bobs.requestID == "req-1")
        #expect(try await engine.start(otherUser).value.id == bobs.id)
        _ = await EngineTesting.eventsUntilTerminal(of: first.id, in: engine.events)
        #expect(engine.events.read(after: 0, matching: .all, limit: 100).startedCount == 2, "one workflow per user, however often asked")
    }

    @Test("a start that answers with part of the workflow sees it running with every job pending, as the whole-tree start does")
    func startAnsweringWithPartOfTheWorkflow() async throws {
        let engine = EngineTesting.makeEngine()
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "3", "steps": "0"], requestID: "req-2")
        func summary(_ workflow: Workflow) -> [String] {
            [workflow.id, "\(workflow.status)"] + workflow.jobs.map { "\($0.id) \($0.status)" }
        }
        let started = try await engine.start(request, answer: summary).value
        #expect(started.count == 5 && started[1] == "\(WorkflowStatus.running)")
        #expect(started[2...] == ["\(started[0])-j1 \(JobStatus.pending)", "\(started[0])-j2 \(JobStatus.pending)", "\(started[0])-j3 \(JobStatus.pending)"])
        _ = await EngineTesting.eventsUntilTerminal(of: started[0], in: engine.events)
        // A repeated request id answers from the workflow it started, as it is now.
        let again = try await engine.start(request, answer: summary).value
        #expect(again == summary(try await engine.workflow(id: started[0])))
        #expect(again[1] == "\(WorkflowStatus.completed)")
    }

    @Test("finished workflows beyond the retention are forgotten")
    func workflowRetention() async throws {
        let engine = EngineTesting.makeEngine(workflowRetention: 2)
        var ids: [String] = []
        for _ in 0..<3 {
            let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "TEST", params: ["steps": "0"]), on: engine)
            ids.append(workflow.id)
        }

        await #expect(throws: EngineError.workflowNotFound(ids[0])) {
            try await engine.workflow(id: ids[0])
        }
        #expect(try await engine.workflow(id: ids[1]).status == .completed)
        #expect(try await engine.workflow(id: ids[2]).status == .completed)
        #expect(ids == ids.sorted(), "ids sort by creation")
    }
}

extension EventRead {
    /// The number of workflowStarted events in a read.
    fileprivate var startedCount: Int {
        guard case .events(let events, _) = self else { return -1 }
        return events.filter { $0.kind == .workflowStarted }.count
    }
}
