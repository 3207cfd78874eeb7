import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct LiveViewRendererTests {
    let now = Fixtures.startMs + 1_500

    private func plain(_ lines: [StyledLine]) -> [String] {
        lines.map(\.plainText)
    }

    @Test func aRunningWorkflowShowsEachJobWithSymbolBarPercentAndLatestSteps() {
        let lines = plain(LiveViewRenderer(width: 120, height: 40).render(WorkflowViewState(workflow: Fixtures.runningWorkflow), nowMs: now))
        #expect(lines[0].contains("RUNNING  TEST wf-0H5N3Q8T2ZK1  1.50s  Demo · ada"))
        #expect(lines[1].hasPrefix("  ✓ Fetch     [████████████████████] 100%"))
        #expect(lines[1].contains("412ms  4 steps  Processed 4/4 items"))
        #expect(lines[2].contains(" Process   [██████████░░░░░░░░░░]  50%"))
        #expect(lines[3] == "  ○ Validate  pending")
        #expect(lines[4] == "  latest steps")
        #expect(lines.contains { $0.contains("INFO  Process [ITEM-2-2] Processed item 2 of 4") })
        #expect(!lines.contains { $0.contains("failed") || $0.contains("completed in") })
    }

    @Test func aFailedWorkflowSaysWhereItFailedAndHowToRetry() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        Fixtures.failureEvents.forEach { state.apply($0) }
        let lines = plain(LiveViewRenderer(width: 200, height: 40).render(state, nowMs: now))
        #expect(lines[0].hasPrefix("✗ FAILED"))
        #expect(lines.contains { $0.hasPrefix("  ✗ Process") && $0.contains("Simulated failure") })
        #expect(lines.contains("  ⊘ Validate  cancelled"))
        #expect(lines.contains { $0.contains("ERROR Process [ITEM-2-3] Failed to process item 3 of 4") })
        #expect(lines[lines.count - 2] == "✗ failed at Process: Simulated failure")
        #expect(lines[lines.count - 1] == "  to retry from the failed job: workflowctl retry wf-0H5N3Q8T2ZK1")
    }

    @Test func aCompletedWorkflowShowsItsDurationAndCounters() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        var completed = Fixtures.event(40, .workflowCompleted)
        completed.workflowStatus = .completed
        completed.stats = WorkflowV1.Stats(durationMs: 1_234, counters: ["itemsProcessed": 12])
        state.apply(completed)
        let lines = plain(LiveViewRenderer(width: 100, height: 40).render(state, nowMs: now))
        #expect(lines.last == "✓ completed in 1.23s · itemsProcessed=12")
    }

    @Test func aConnectionNoticeIsPartOfTheFrame() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        state.connectionNotice = "lost the connection; reconnecting"
        let lines = plain(LiveViewRenderer(width: 100, height: 40).render(state, nowMs: now))
        #expect(lines.last == "⚠ lost the connection; reconnecting")
    }

    @Test func framesFitTheTerminal() {
        var workflow = Fixtures.runningWorkflow
        workflow.jobs = (0..<30).map { WorkflowV1.Job(id: "j\($0)", name: "Job \($0 + 1)", position: Int32($0), status: $0 < 12 ? .completed : $0 == 12 ? .running : .pending) }
        let renderer = LiveViewRenderer(width: 40, height: 12)
        let frame = renderer.render(WorkflowViewState(workflow: workflow), nowMs: now)
        #expect(frame.count <= 11)
        let lines = plain(frame)
        #expect(lines.contains { $0.contains("Job 13") })
        #expect(lines.contains { $0.contains("more jobs") })
        #expect(frame.allSatisfy { $0.rendered(width: 39, colour: false).count <= 39 })
    }
}
