import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct WorkflowViewStateTests {
    @Test func theSnapshotGivesJobsStepsAndWhereToResume() {
        let state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        #expect(state.jobs.map(\.name) == ["Fetch", "Process", "Validate"])
        #expect(state.jobs.map(\.stepCount) == [4, 2, 0])
        #expect(state.resumeAfterSequence == 14)
        #expect(state.recentSteps.last?.entityTag == "ITEM-2-2")
        #expect(!state.isFinished)
    }

    @Test func replayedStepsAreNotCountedTwice() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        var replayed = Fixtures.event(14, .stepLogged, job: Fixtures.process)
        replayed.step = Fixtures.step(job: 2, item: 2, sequence: 14)
        state.apply(replayed)
        #expect(state.jobs[1].stepCount == 2)

        var next = Fixtures.event(16, .stepLogged, job: Fixtures.process)
        next.step = Fixtures.step(job: 2, item: 3, sequence: 16)
        state.apply(next)
        #expect(state.jobs[1].stepCount == 3)
        #expect(state.recentSteps.last?.message == "Processed item 3 of 4")
    }

    @Test func aFailureSetsTheFailedJobErrorAndStatuses() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        Fixtures.failureEvents.forEach { state.apply($0) }
        #expect(state.status == .failed)
        #expect(state.failedJobName == "Process")
        #expect(state.error == "Simulated failure")
        #expect(state.jobs.map(\.status) == [.completed, .failed, .cancelled])
        #expect(state.durationMs == 1_020)
        #expect(state.isFinished)
    }

    @Test func eventsOfOtherWorkflowsAreIgnored() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        var other = Fixtures.event(30, .workflowCompleted)
        other.workflowID = "wf-other"
        state.apply(other)
        #expect(state.status == .running)
    }
}

@Suite struct WorkflowViewStateRetryTests {
    @Test func aRetryRunsTheFailedJobAndLaterOnesAgainKeepingTheirSteps() {
        var state = WorkflowViewState(workflow: Fixtures.runningWorkflow)
        Fixtures.failureEvents.forEach { state.apply($0) }
        var retried = Fixtures.event(30, .workflowRetried, job: Fixtures.process)
        retried.attempt = 2
        state.apply(retried)
        #expect(state.status == .running)
        #expect(state.failedJobName.isEmpty && state.error.isEmpty)
        #expect(state.jobs.map(\.status) == [.completed, .pending, .pending])
        #expect(state.jobs[1].stepCount == 3)
    }
}
