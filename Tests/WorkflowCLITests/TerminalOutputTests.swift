import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct TerminalOutputTests {
    @Test func styledLinesCutByVisibleWidthAndColourOnlyWhenAsked() {
        var line = StyledLine()
        line.append("✓", .green)
        line.append(" Fetch done")
        #expect(line.rendered(width: nil, colour: false) == "✓ Fetch done")
        #expect(line.rendered(width: nil, colour: true) == "\u{1B}[32m✓\u{1B}[0m Fetch done")
        #expect(line.rendered(width: 7, colour: false) == "✓ Fetc…")
        #expect(line.rendered(width: 7, colour: true) == "\u{1B}[32m✓\u{1B}[0m Fetc…")
    }

    @Test func textFromTheServerCannotInjectEscapes() {
        var line = StyledLine()
        line.append("evil\u{1B}[2J\nnext")
        #expect(line.plainText == "evil [2J next")
    }

    @Test func thePainterRedrawsInPlace() {
        var painter = ScreenPainter(colour: false, width: 80)
        let first = painter.paint([StyledLine("a"), StyledLine("b"), StyledLine("c")])
        #expect(first == "\u{1B}[2Ka\n\u{1B}[2Kb\n\u{1B}[2Kc\n\u{1B}[J")
        #expect(painter.paint([StyledLine("a"), StyledLine("b"), StyledLine("c")]) == "")
        let second = painter.paint([StyledLine("a"), StyledLine("B")])
        #expect(second == "\r\u{1B}[3A\u{1B}[2Ka\n\u{1B}[2KB\n\u{1B}[J")
    }

    @Test func eventLinesShowLevelKindJobTagAndMessage() {
        var event = Fixtures.event(16, .stepLogged, job: Fixtures.process)
        event.step = Fixtures.step(job: 2, item: 3, sequence: 16)
        event.message = "Processed item 3 of 4"
        let plain = EventLineFormatter(showsWorkflow: true).line(for: event).rendered(width: nil, colour: false)
        #expect(plain.hasPrefix("#16     "))
        #expect(plain.hasSuffix("INFO  STEP_LOGGED       TEST wf-0H5N3Q8T2ZK1 Process [ITEM-2-3] Processed item 3 of 4"))
        let coloured = EventLineFormatter(showsWorkflow: false).line(for: event).rendered(width: nil, colour: true)
        #expect(coloured.contains("\u{1B}[34mINFO \u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[36m[ITEM-2-3]\u{1B}[0m"))
    }

    @Test func theTreeOfAFailedWorkflowEndsWithWhereItFailed() {
        var workflow = Fixtures.runningWorkflow
        workflow.status = .failed
        workflow.error = "Simulated failure"
        workflow.failedJobName = "Process"
        workflow.finishedAtMs = Fixtures.startMs + 1_020
        workflow.jobs[1].status = .failed
        workflow.jobs[1].error = "Simulated failure"
        workflow.jobs[1].finishedAtMs = Fixtures.startMs + 600
        workflow.jobs[2].status = .cancelled
        let lines = WorkflowTreeFormatter(showsSteps: true).lines(for: workflow, nowMs: Fixtures.startMs + 2_000).map(\.plainText)
        #expect(lines[0] == "✗ FAILED  TEST wf-0H5N3Q8T2ZK1  Demo")
        #expect(lines.contains { $0.hasPrefix("  ✓ Fetch     COMPLETED") && $0.contains("412ms  4 steps  itemsProcessed=4") })
        #expect(lines.contains("      error: Simulated failure"))
        #expect(lines.contains { $0.contains("[ITEM-1-4] Processed item 4 of 4") })
        #expect(lines[lines.count - 2] == "failed at Process: Simulated failure")
    }

    @Test func theTreeShowsEveryFailedAttemptAndWhenAWaitingJobRunsAgain() throws {
        var workflow = Fixtures.runningWorkflow
        workflow.jobs[1].attempt = 3
        workflow.jobs[1].error = "connection reset"
        workflow.jobs[1].failedAttempts = [
            WorkflowV1.JobAttempt(attempt: 1, outcome: .timedOut, error: "attempt 1 of Process timed out after 500 ms", errorCode: "TIMEOUT"),
            WorkflowV1.JobAttempt(attempt: 2, outcome: .interrupted, error: "interrupted: the server shut down while attempt 2 ran", errorCode: "INTERRUPTED"),
            WorkflowV1.JobAttempt(attempt: 3, outcome: .failed, error: "connection reset", errorCode: "ERROR"),
        ]
        workflow.jobs[1].nextAttemptAtMs = Fixtures.startMs + 5_000
        let lines = WorkflowTreeFormatter(showsSteps: false).lines(for: workflow, nowMs: Fixtures.startMs + 2_000).map(\.plainText)
        let process = try #require(lines.firstIndex { $0.contains(" Process ") && $0.contains("RUNNING") })
        #expect(Array(lines[(process + 1)...(process + 4)]) == [
            "      attempt 1 TIMED_OUT (TIMEOUT): attempt 1 of Process timed out after 500 ms",
            "      attempt 2 INTERRUPTED (INTERRUPTED): interrupted: the server shut down while attempt 2 ran",
            "      attempt 3 FAILED (ERROR): connection reset",
            "      attempt 4 starts at \(TimeText.localDateTime(epochMs: Fixtures.startMs + 5_000))",
        ])
        #expect(!lines.contains { $0.contains("error: connection reset") }, "said once, by its attempt")
    }

    @Test func retryCommandsAreQuotedForTheShell() {
        #expect(RetryHint.text(workflowID: "wf-0H5N3Q8T2ZK1") == "to retry from the failed job: workflowctl retry wf-0H5N3Q8T2ZK1")
        #expect(RetryHint.shellQuoted("it's a") == #"'it'\''s a'"#)
    }

    @Test func outputModeFollowsTheTerminal() {
        let terminal = Console(outputIsTerminal: true, colour: true, supportsLiveView: true)
        let pipe = Console(outputIsTerminal: false, colour: false, supportsLiveView: false)
        let dumb = Console(outputIsTerminal: true, colour: false, supportsLiveView: false)
        #expect(OutputMode.forEvents(requested: nil, console: terminal, oneWorkflow: true, filtered: false) == .live)
        #expect(OutputMode.forEvents(requested: nil, console: terminal, oneWorkflow: false, filtered: false) == .text)
        #expect(OutputMode.forEvents(requested: nil, console: terminal, oneWorkflow: true, filtered: true) == .text)
        #expect(OutputMode.forEvents(requested: nil, console: dumb, oneWorkflow: true, filtered: false) == .text)
        #expect(OutputMode.forEvents(requested: nil, console: pipe, oneWorkflow: true, filtered: false) == .json)
        #expect(OutputMode.forEvents(requested: .text, console: pipe, oneWorkflow: true, filtered: false) == .text)
    }

    @Test func durationsReadNaturally() {
        #expect(TimeText.duration(milliseconds: 850) == "850ms")
        #expect(TimeText.duration(milliseconds: 4_213) == "4.21s")
        #expect(TimeText.duration(milliseconds: 123_000) == "2m03s")
        #expect(TimeText.duration(milliseconds: 3_720_000) == "1h02m")
        #expect(TimeText.duration(milliseconds: -5) == "0ms")
    }

    @Test func progressBarsClampAndRoundDown() {
        #expect(ProgressBar.bar(0.5, width: 4) == "[██░░]")
        #expect(ProgressBar.bar(2, width: 2) == "[██]")
        #expect(ProgressBar.percent(0.999) == " 99%")
        #expect(ProgressBar.percent(.nan) == "  0%")
    }
}
