import Testing
import WorkflowModel
@testable import WorkflowEngine

/// The queries a console makes: windows of a long log, counts per type and status, text in
/// summaries, events of some kinds, and a tree to follow on from.
@Suite("Console queries")
struct ConsoleQueryTests {
    /// A finished TEST workflow whose third job fails: 10 + 10 + 5 INFO steps and one ERROR step.
    private func failedWorkflow(_ engine: WorkflowEngine) async throws -> Workflow {
        let started = try await engine.start(WorkflowRequest(
            type: "TEST", params: ["jobs": "3", "steps": "10", "step_delay_ms": "0", "fail_job": "3"]
        )).value
        return try await EngineTesting.settled(started.id, in: engine)
    }

    @Test("steps read backwards page by page are the whole log, once each, in order")
    func backwardWindows() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await failedWorkflow(engine)
        let everyStep = workflow.jobs.flatMap(\.steps).sorted { $0.sequence < $1.sequence }
        #expect(everyStep.count == 26)

        var pages: [[WorkflowModel.LogEvent]] = []
        var before: UInt64?
        while true {
            let page = try await engine.page(StepQuery(workflowID: workflow.id, beforeSequence: before, pageSize: 7))
            #expect(page.steps.map(\.sequence) == page.steps.map(\.sequence).sorted(), "a page is oldest first")
            pages.insert(page.steps, at: 0)
            guard page.hasMore else { break }
            before = page.steps.first?.sequence
        }
        #expect(pages.map(\.count) == [5, 7, 7, 7])
        let read = pages.flatMap { $0 }
        #expect(read.map(\.sequence) == everyStep.map(\.sequence))
        #expect(read.map { $0.step?.id } == everyStep.map(\.id))
        #expect(read.allSatisfy { $0.kind == .stepLogged && $0.workflowID == workflow.id && $0.step?.sequence == $0.sequence })
        #expect(read.map { $0.job?.position } == workflow.jobs.flatMap { job in job.steps.map { _ in job.position } })
    }

    @Test("an oldest-first read starts at the first step or after its bound; both bounds make a window")
    func forwardWindows() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await failedWorkflow(engine)
        let sequences = workflow.jobs.flatMap(\.steps).map(\.sequence).sorted()

        let head = try await engine.page(StepQuery(workflowID: workflow.id, pageSize: 4, oldestFirst: true))
        #expect(head.steps.map(\.sequence) == Array(sequences.prefix(4)))
        #expect(head.hasMore)
        let next = try await engine.page(StepQuery(workflowID: workflow.id, afterSequence: sequences[3], pageSize: 100, oldestFirst: true))
        #expect(next.steps.map(\.sequence) == Array(sequences.dropFirst(4)))
        #expect(!next.hasMore)

        let window = try await engine.page(StepQuery(
            workflowID: workflow.id, beforeSequence: sequences[12], afterSequence: sequences[8], pageSize: 100
        ))
        #expect(window.steps.map(\.sequence) == Array(sequences[9...11]))
        #expect(!window.hasMore)
        let newestOfWindow = try await engine.page(StepQuery(
            workflowID: workflow.id, beforeSequence: sequences[12], afterSequence: sequences[2], pageSize: 2
        ))
        #expect(newestOfWindow.steps.map(\.sequence) == Array(sequences[10...11]))
        #expect(newestOfWindow.hasMore)
        let oldestOfWindow = try await engine.page(StepQuery(
            workflowID: workflow.id, beforeSequence: sequences[12], afterSequence: sequences[2], pageSize: 2, oldestFirst: true
        ))
        #expect(oldestOfWindow.steps.map(\.sequence) == Array(sequences[3...4]))
        #expect(oldestOfWindow.hasMore)
    }

    @Test("steps filtered by level, job and entity tag")
    func filteredSteps() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await failedWorkflow(engine)

        let errors = try await engine.page(StepQuery(workflowID: workflow.id, minimumLevel: .error))
        #expect(errors.steps.map(\.level) == [.error])
        #expect(errors.steps.first?.job?.id == workflow.jobs[2].id)
        #expect(!errors.hasMore)

        let second = try await engine.page(StepQuery(workflowID: workflow.id, jobID: workflow.jobs[1].id, pageSize: 4))
        #expect(second.steps.map(\.sequence) == workflow.jobs[1].steps.suffix(4).map(\.sequence))
        #expect(second.hasMore)

        let tagged = try await engine.page(StepQuery(workflowID: workflow.id, entityTag: "ITEM-2-3"))
        #expect(tagged.steps.map { $0.step?.entity?.tag } == ["ITEM-2-3"])
    }

    @Test("bad step queries are refused: page size, empty range, unknown job, unknown workflow")
    func badStepQueries() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await failedWorkflow(engine)
        func code(_ query: StepQuery) async -> EngineError.Code? {
            do {
                _ = try await engine.page(query)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(await code(StepQuery(workflowID: workflow.id, pageSize: 0)) == .invalidArgument)
        #expect(await code(StepQuery(workflowID: workflow.id, pageSize: StepQuery.maxPageSize + 1)) == .invalidArgument)
        #expect(await code(StepQuery(workflowID: workflow.id, beforeSequence: 5, afterSequence: 5)) == .invalidArgument)
        #expect(await code(StepQuery(workflowID: workflow.id, jobID: "no-such-job")) == .invalidArgument)
        #expect(await code(StepQuery(workflowID: "wf-UNKNOWN")) == .workflowNotFound)
    }

    @Test("counts per type and status honour the user, text and time filters, never the statuses")
    func counts() async throws {
        let engine = EngineTesting.makeEngine()
        var ids: [String] = []
        for (user, summary) in [("ada", "Import Gold Mine"), ("ada", "Import silver"), ("bob", "GOLD export")] {
            ids.append(try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "0"], userID: user, summary: summary)).value.id)
        }
        ids.append(try await engine.start(WorkflowRequest(
            type: "TEST", params: ["steps": "2", "step_delay_ms": "0", "fail_job": "1"], userID: "ada", summary: "gold, failing"
        )).value.id)
        for id in ids { _ = try await EngineTesting.settled(id, in: engine) }

        #expect(try await engine.count(WorkflowQuery()) == [
            WorkflowCount(type: "TEST", status: .completed, count: 3),
            WorkflowCount(type: "TEST", status: .failed, count: 1),
        ])
        #expect(try await engine.count(WorkflowQuery(statuses: [.failed], userID: "ada", summaryContains: "gOlD")) == [
            WorkflowCount(type: "TEST", status: .completed, count: 1),
            WorkflowCount(type: "TEST", status: .failed, count: 1),
        ])
        #expect(try await engine.count(WorkflowQuery(type: "OTHER")).isEmpty)
        await #expect(throws: EngineError.self) { _ = try await engine.count(WorkflowQuery(createdAfterMs: 10, createdBeforeMs: 10)) }

        let gold = try await engine.list(WorkflowQuery(summaryContains: "Gold", pageSize: 100))
        #expect(gold.workflows.map(\.id) == [ids[3], ids[2], ids[0]])
    }

    @Test("the kept counts equal counting every workflow, through starts, failures, retries, cancels and forgetting")
    func keptCountsStayExact() async throws {
        let engine = EngineTesting.makeEngine(workflowRetention: 3)
        for index in 0..<6 {
            let failing = index >= 4 ? ["fail_job": "1", "fail_attempts": "1"] : [:]
            let id = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"].merging(failing) { $1 })).value.id
            // One at a time: with a retention of 3, finishing one forgets the oldest.
            _ = try await EngineTesting.settled(id, in: engine)
        }
        #expect(try await engine.count(WorkflowQuery()) == (await engine.countByLooking(WorkflowQuery())))
        let failed = try await engine.list(WorkflowQuery(statuses: [.failed], pageSize: 100)).workflows
        #expect(!failed.isEmpty)
        for workflow in failed {
            _ = try await engine.retry(id: workflow.id)
        }
        let running = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "1000", "step_delay_ms": "5"])).value
        #expect(try await engine.count(WorkflowQuery()) == (await engine.countByLooking(WorkflowQuery())))
        _ = try await engine.cancel(id: running.id, reason: "enough")
        for workflow in failed { _ = try await EngineTesting.settled(workflow.id, in: engine) }
        _ = try await EngineTesting.settled(running.id, in: engine)
        let kept = try await engine.count(WorkflowQuery())
        #expect(kept == (await engine.countByLooking(WorkflowQuery())))
        let retained = try await engine.list(WorkflowQuery(pageSize: 100)).workflows.count
        #expect(kept.reduce(0) { $0 + $1.count } == retained)
        #expect(try await engine.count(WorkflowQuery(type: "TEST")) == kept)
        #expect(try await engine.count(WorkflowQuery(type: "OTHER")).isEmpty)
    }

    @Test("listing by type pages through exactly the retained workflows of that type while older ones are forgotten")
    func listingByTypeAcrossForgetting() async throws {
        let other = WorkflowTemplate(type: "OTHER", jobs: [JobDefinition(name: "Noop") { _ in }])
        let engine = EngineTesting.makeEngine([other], workflowRetention: 1_000)
        for index in 0..<2_600 {
            // One job each, so both types finish in about the order they started: with more jobs
            // per TEST, a loaded machine finished every OTHER first and retained no OTHER at all.
            _ = try await engine.start(WorkflowRequest(type: index % 3 == 0 ? "OTHER" : "TEST", params: ["jobs": "1", "steps": "0"])).value.id
        }
        while try await engine.list(WorkflowQuery(statuses: [.running], pageSize: 1)).workflows.count > 0 {
            try await Task.sleep(for: .milliseconds(2))
        }
        let counts = try await engine.count(WorkflowQuery())
        #expect(counts.reduce(0) { $0 + $1.count } == 1_000)
        #expect(Set(counts.map(\.type)) == ["TEST", "OTHER"], "both types retained, so both listings have pages to walk")
        for type in ["TEST", "OTHER"] {
            var seen: [String] = []
            var token: String?
            repeat {
                let page = try await engine.list(WorkflowQuery(type: type, pageSize: 70, pageToken: token))
                #expect(page.workflows.allSatisfy { $0.type == type && $0.status == .completed })
                seen += page.workflows.map(\.id)
                token = page.nextPageToken
            } while token != nil
            #expect(seen == seen.sorted(by: >), "newest first")
            #expect(Set(seen).count == seen.count, "each once")
            #expect(seen.count == counts.first { $0.type == type }?.count ?? 0)
        }
        let everything = try await engine.list(WorkflowQuery(pageSize: 1_000)).workflows
        #expect(everything.count == 1_000 && everything.allSatisfy { !$0.jobs.isEmpty })
    }

    @Test("text in a summary, ignoring case: ASCII folded byte by byte, other text lower-cased")
    func summaryText() {
        #expect(WorkflowQuery.text("Import Gold Mine", containsLowered: "gold mine"))
        #expect(WorkflowQuery.text("IMPORT GOLD", containsLowered: "import gold"))
        #expect(!WorkflowQuery.text("Import Gold", containsLowered: "silver"))
        #expect(!WorkflowQuery.text("Go", containsLowered: "gold"))
        #expect(WorkflowQuery.text("Übersicht Gold", containsLowered: "gold"))
        #expect(WorkflowQuery.text("ÜBERSICHT", containsLowered: "übersicht"))
        #expect(!WorkflowQuery.text("Import [gold]", containsLowered: "{gold}"), "only letters fold")
    }

    @Test("a kinds filter keeps those kinds and terminal workflow events")
    func kindsFilter() async throws {
        let engine = EngineTesting.makeEngine()
        let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "3", "step_delay_ms": "0"])).value
        _ = try await EngineTesting.settled(workflow.id, in: engine)
        guard case .events(let all, _) = engine.events.read(after: 0, matching: EventFilter(workflowID: workflow.id), limit: 1_000) else {
            Issue.record("no events")
            return
        }
        let kept = all.filter(EventFilter(kinds: [.jobStarted, .workflowStarted]).matches)
        #expect(kept.map(\.kind) == [.workflowStarted, .jobStarted, .jobStarted, .workflowCompleted])
    }

    @Test("a snapshot's tree plus the events after its sequence make the final tree: no gap, no duplicate")
    func snapshotFollowsOn() async throws {
        let engine = EngineTesting.makeEngine()
        let started = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "40", "step_delay_ms": "1"])).value
        while try await engine.workflow(id: started.id).jobs[0].steps.count < 5 {
            try await Task.sleep(for: .milliseconds(1))
        }
        let snapshot = try await engine.snapshot(id: started.id)
        #expect(snapshot.workflow.status == .running)
        let final = try await EngineTesting.settled(started.id, in: engine)
        guard case .events(let later, _) = engine.events.read(
            after: snapshot.asOfSequence, matching: EventFilter(workflowID: started.id), limit: 10_000
        ) else {
            Issue.record("no events")
            return
        }
        let seen = snapshot.workflow.jobs.flatMap(\.steps).map(\.id) + later.compactMap { $0.step?.id }
        #expect(seen == final.jobs.flatMap(\.steps).map(\.id))
        #expect(snapshot.workflow.jobs.flatMap(\.steps).allSatisfy { $0.sequence <= snapshot.asOfSequence })

        // Ended, its tree and as-of sequence stay the same while other workflows log.
        let ended = try await engine.snapshot(id: started.id)
        #expect(ended.asOfSequence == later.last?.sequence && later.last?.kind == .workflowCompleted)
        let other = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "5", "step_delay_ms": "0"])).value
        _ = try await EngineTesting.settled(other.id, in: engine)
        let again = try await engine.snapshot(id: started.id)
        #expect(again.asOfSequence == ended.asOfSequence && again.workflow == ended.workflow)
    }
}

extension WorkflowEngine {
    /// The page `query` asks for, with the steps the engine left to its store read back first.
    fileprivate func page(_ query: StepQuery) throws(EngineError) -> StepPage {
        switch try steps(query) {
        case .page(let page):
            return page
        case .inStore(let snapshot):
            return try Self.steps(query, in: try withStoredHistory(snapshot))
        }
    }
}
