import WorkflowMessages

/// The text form of `workflowctl get`: a workflow and its jobs as a tree.
///
/// ```
/// ✗ FAILED  TEST wf-0H5N3Q8T2ZK1  My first workflow
///   user ada · created 2025-01-31 14:03:06 · ran 1.02s
///   params  fail_job=2 jobs=3
///   stats   itemsFailed=1 itemsProcessed=4
///   ✓ Fetch     COMPLETED    412ms  3 steps  itemsProcessed=3
///   ✗ Process   FAILED       203ms  2 steps  itemsFailed=1 itemsProcessed=1
///       attempt 1 FAILED (SIMULATED): Simulated failure
///   ⊘ Validate  CANCELLED           0 steps
/// failed at Process: Simulated failure
/// ```
///
/// A job's outputs follow its line (`      outputs rows_read=15`); a completed workflow's
/// result and every workflow's artifacts (id, size, type) come last.
package struct WorkflowTreeFormatter: Sendable {
    /// Whether to list every step under its job.
    package var showsSteps: Bool

    /// Creates a formatter.
    ///
    /// - Parameter showsSteps: Whether to list every step under its job.
    package init(showsSteps: Bool) {
        self.showsSteps = showsSteps
    }

    /// The lines for `workflow` at `nowMs` (for the elapsed time of a running workflow).
    ///
    /// - Parameters:
    ///   - workflow: The workflow tree.
    ///   - nowMs: The current time in Unix epoch milliseconds.
    /// - Returns: The lines, top to bottom.
    package func lines(for workflow: WorkflowV1.Workflow, nowMs: Int64) -> [StyledLine] {
        var lines: [StyledLine] = []
        var header = StyledLine()
        let (symbol, style) = StatusAppearance.symbol(for: workflow.status)
        header.append(symbol, style)
        header.append(" ")
        header.append(workflow.status.shortName, style)
        header.append("  ")
        header.append(workflow.type, .bold)
        header.append(" " + workflow.id)
        if !workflow.summary.isEmpty { header.append("  " + workflow.summary) }
        lines.append(header)

        var facts: [String] = []
        let user = workflow.userName.isEmpty ? workflow.userID : workflow.userName
        if !user.isEmpty { facts.append("user \(user)") }
        if workflow.createdAtMs > 0 { facts.append("created \(TimeText.localDateTime(epochMs: workflow.createdAtMs))") }
        if workflow.startedAtMs > 0 {
            let ms = workflow.finishedAtMs > 0 ? (workflow.stats?.durationMs ?? workflow.finishedAtMs - workflow.startedAtMs) : nowMs - workflow.startedAtMs
            facts.append("\(workflow.finishedAtMs > 0 ? "ran" : "running for") \(TimeText.duration(milliseconds: ms))")
        }
        if !workflow.requestID.isEmpty { facts.append("request \(workflow.requestID)") }
        if !facts.isEmpty { lines.append(dimLine("  " + facts.joined(separator: " · "))) }
        if !workflow.params.isEmpty {
            lines.append(StyledLine("  params  " + workflow.params.keys.sorted().map { "\($0)=\(workflow.params[$0]!)" }.joined(separator: " ")))
        }
        if let counters = workflow.stats?.counters, !counters.isEmpty {
            lines.append(StyledLine("  stats   " + CounterText.list(counters)))
        }

        let nameWidth = min(32, workflow.jobs.map(\.name.count).max() ?? 0)
        for job in workflow.jobs.sorted(by: { $0.position < $1.position }) {
            lines.append(jobLine(job, nameWidth: nameWidth, nowMs: nowMs))
            if !job.queue.isEmpty {
                let runner = job.worker.map { "worker \($0.name) (\($0.instanceID))" } ?? "waiting for a worker"
                lines.append(dimLine("      queue \(job.queue) · " + (job.status == .pending ? "remote" : runner)))
            }
            if !job.outputs.isEmpty {
                lines.append(dimLine("      outputs " + Self.pairs(job.outputs)))
            }
            lines += attemptLines(job)
            if showsSteps {
                lines += job.steps.map(stepLine)
            }
        }
        if !workflow.result.isEmpty {
            lines.append(StyledLine("  result  " + Self.pairs(workflow.result)))
        }
        for artifact in workflow.artifacts {
            lines.append(StyledLine("  artifact \(artifact.id)  \(artifact.sizeBytes) bytes  \(artifact.contentType)"))
        }
        if workflow.status == .failed {
            var failed = StyledLine()
            let at = workflow.failedJobName.isEmpty ? "" : " at \(workflow.failedJobName)"
            failed.append("failed\(at): \(workflow.error)", .boldRed)
            lines.append(failed)
            lines.append(dimLine("  " + RetryHint.text(workflowID: workflow.id)))
        }
        return lines
    }

    /// `name=value` pairs by name, each value on one line.
    private static func pairs(_ values: [String: String]) -> String {
        values.keys.sorted().map { "\($0)=\(TerminalText.oneLine(values[$0]!))" }.joined(separator: " ")
    }

    /// Each failed, timed-out or interrupted attempt of `job` with its error, then the job's
    /// own error unless the last attempt's says it (a deadline can fail a job between two
    /// attempts), and when a waiting job runs again.
    private func attemptLines(_ job: WorkflowV1.Job) -> [StyledLine] {
        var lines: [StyledLine] = []
        for attempt in job.failedAttempts {
            var line = StyledLine()
            let isFinal = job.status == .failed && attempt.attempt == job.attempt && attempt.error == job.error
            let code = attempt.errorCode.isEmpty ? "" : " (\(attempt.errorCode))"
            let worker = attempt.worker.map { " on \($0.name) (\($0.instanceID))" } ?? ""
            line.append("      attempt \(attempt.attempt) \(attempt.outcome.shortName)\(code)\(worker): \(attempt.error)", isFinal ? .red : .yellow)
            lines.append(line)
        }
        if !job.error.isEmpty, job.error != job.failedAttempts.last?.error {
            var error = StyledLine()
            error.append("      error: " + job.error, .red)
            lines.append(error)
        }
        if job.nextAttemptAtMs > 0 {
            lines.append(dimLine("      attempt \(job.attempt + 1) starts at \(TimeText.localDateTime(epochMs: job.nextAttemptAtMs))"))
        }
        return lines
    }

    private func jobLine(_ job: WorkflowV1.Job, nameWidth: Int, nowMs: Int64) -> StyledLine {
        var line = StyledLine("  ")
        let (symbol, style) = StatusAppearance.symbol(for: job.status)
        line.append(symbol, style)
        line.append(" " + TerminalText.padded(job.name, toWidth: nameWidth) + "  ")
        line.append(TerminalText.padded(job.status.shortName, toWidth: 9), style)
        var elapsed = ""
        if job.startedAtMs > 0 {
            let ms = job.finishedAtMs > 0 ? (job.stats?.durationMs ?? job.finishedAtMs - job.startedAtMs) : nowMs - job.startedAtMs
            elapsed = TimeText.duration(milliseconds: ms)
        }
        line.append(" " + TerminalText.leftPadded(elapsed, toWidth: 7))
        line.append("  \(job.steps.count) step\(job.steps.count == 1 ? "" : "s")")
        if job.status == .running {
            line.append("  " + ProgressBar.percent(job.progress).trimmingASCIIWhitespace())
            if !job.progressMessage.isEmpty { line.append(" " + job.progressMessage) }
        }
        if let counters = job.stats?.counters, !counters.isEmpty {
            line.append("  " + CounterText.list(counters), .dim)
        }
        return line
    }

    private func stepLine(_ step: WorkflowV1.Step) -> StyledLine {
        var line = StyledLine("      ")
        line.append(TimeText.timeOfDay(epochMs: step.timestampMs), .dim)
        line.append(" ")
        line.append(StatusAppearance.paddedName(of: step.level), StatusAppearance.style(for: step.level))
        if let tag = step.entity?.tag, !tag.isEmpty {
            line.append(" ")
            line.append("[\(tag)]", .cyan)
        }
        line.append(" " + step.message)
        return line
    }

    private func dimLine(_ text: String) -> StyledLine {
        var line = StyledLine()
        line.append(text, .dim)
        return line
    }
}
