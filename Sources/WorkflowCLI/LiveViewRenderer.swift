import WorkflowMessages

/// Draws the live view of one workflow as lines: a pure function of the state, the time and
/// the terminal's size, so it is tested without a terminal.
///
/// ```
/// ⠹ RUNNING  TEST wf-0H5N3Q8T2ZK1  1.62s  My first workflow · ada
///   ✓ Fetch      [████████████████████] 100%    412ms  4 steps  Processed item 4 of 4
///   ⠹ Process    [██████████░░░░░░░░░░]  50%    208ms  2 steps  Processed item 2 of 4
///   ○ Validate   pending
///   latest steps
///     14:03:07.250 INFO  Process  [ITEM-2-2] Processed item 2 of 4
/// ```
///
/// When the workflow failed, the last lines say `✗ failed at <job>: <error>` and how to run it
/// again; when it completed, `✓ completed in <duration>` and its counters. A frame never has
/// more lines than ``height`` allows (older steps go first, then jobs far from the running one
/// are folded into `… n more jobs`), and no line is longer than ``width``.
package struct LiveViewRenderer: Sendable {
    /// The terminal's width in columns.
    package var width: Int
    /// The terminal's height in rows; a frame uses at most `height - 1` of them.
    package var height: Int

    /// Creates a renderer for a terminal of the given size.
    ///
    /// - Parameters:
    ///   - width: Columns (at least 20 are assumed).
    ///   - height: Rows (at least 6 are assumed).
    package init(width: Int, height: Int) {
        self.width = max(20, width)
        self.height = max(6, height)
    }

    /// The frame for `state` at `nowMs`.
    ///
    /// - Parameters:
    ///   - state: The workflow.
    ///   - nowMs: The current time in Unix epoch milliseconds (elapsed times, spinner).
    /// - Returns: The lines, top to bottom, each at most ``width`` visible characters once rendered.
    package func render(_ state: WorkflowViewState, nowMs: Int64) -> [StyledLine] {
        let footer = footerLines(state, nowMs: nowMs)
        let budget = height - 1 - 1 - footer.count
        let jobLines = jobLines(state, nowMs: nowMs, budget: max(1, budget))
        var stepBudget = budget - jobLines.count - 1
        stepBudget = min(stepBudget, state.recentSteps.count)
        var lines = [headerLine(state, nowMs: nowMs)] + jobLines
        if stepBudget > 0 {
            var title = StyledLine()
            title.append("  latest steps", .dim)
            lines.append(title)
            lines += state.recentSteps.suffix(stepBudget).map(stepLine)
        }
        return lines + footer
    }

    // MARK: Pieces

    private func headerLine(_ state: WorkflowViewState, nowMs: Int64) -> StyledLine {
        var line = StyledLine()
        let (symbol, style) = StatusAppearance.symbol(for: state.status, nowMs: nowMs)
        line.append(symbol, style)
        line.append(" ")
        line.append(state.status.shortName, style.map { TextStyle(parameters: "1;" + $0.parameters) } ?? .bold)
        line.append("  ")
        line.append(state.type, .bold)
        line.append(" \(state.workflowID)  ")
        line.append(TimeText.duration(milliseconds: state.elapsedMs(nowMs: nowMs)))
        let details = [state.summary, state.userName].filter { !$0.isEmpty }.joined(separator: " · ")
        if !details.isEmpty { line.append("  \(details)", .dim) }
        return line
    }

    private func jobLines(_ state: WorkflowViewState, nowMs: Int64, budget: Int) -> [StyledLine] {
        let jobs = state.jobs
        let nameWidth = min(24, jobs.map(\.name.count).max() ?? 0)
        guard jobs.count > budget else { return jobs.map { jobLine($0, nameWidth: nameWidth, nowMs: nowMs) } }
        // Fold the jobs far from the one that matters now into "… n more jobs" lines.
        let focus = jobs.firstIndex { $0.status == .running }
            ?? jobs.firstIndex { $0.status == .failed }
            ?? jobs.lastIndex { $0.status != .pending && $0.status != .unspecified }
            ?? 0
        let shown = max(1, budget - 2)
        var start = max(0, focus - shown / 2)
        start = min(start, jobs.count - shown)
        let end = start + shown
        var lines: [StyledLine] = []
        if start > 0 { lines.append(moreLine(start)) }
        lines += jobs[start..<end].map { jobLine($0, nameWidth: nameWidth, nowMs: nowMs) }
        if end < jobs.count { lines.append(moreLine(jobs.count - end)) }
        return lines
    }

    private func moreLine(_ count: Int) -> StyledLine {
        var line = StyledLine()
        line.append("  … \(count) more job\(count == 1 ? "" : "s")", .dim)
        return line
    }

    private func jobLine(_ job: JobViewState, nameWidth: Int, nowMs: Int64) -> StyledLine {
        var line = StyledLine("  ")
        let (symbol, style) = StatusAppearance.symbol(for: job.status, nowMs: nowMs)
        line.append(symbol, style)
        line.append(" ")
        line.append(TerminalText.padded(TerminalText.truncated(job.name, toWidth: nameWidth), toWidth: nameWidth),
                    job.status == .pending ? .dim : nil)
        switch job.status {
        case .pending, .unspecified:
            line.append("  pending", .dim)
            return line
        case .cancelled where job.startedAtMs == 0:
            line.append("  cancelled", .yellow)
            return line
        default:
            break
        }
        let progress = job.status == .completed ? 1 : job.progress
        let barWidth = width >= 100 ? 20 : width >= 70 ? 10 : 5
        line.append("  ")
        line.append(ProgressBar.bar(progress, width: barWidth), style)
        line.append(" " + ProgressBar.percent(progress))
        let elapsed = job.elapsedMs(nowMs: nowMs).map { TimeText.duration(milliseconds: $0) } ?? ""
        line.append("  " + TerminalText.leftPadded(elapsed, toWidth: 7))
        line.append("  \(job.stepCount) step\(job.stepCount == 1 ? "" : "s")", .dim)
        if job.status == .failed, !job.error.isEmpty {
            line.append("  " + job.error, .red)
        } else if !job.progressMessage.isEmpty {
            line.append("  " + job.progressMessage)
        }
        return line
    }

    private func stepLine(_ step: RecentStep) -> StyledLine {
        var line = StyledLine("    ")
        line.append(TimeText.timeOfDay(epochMs: step.timestampMs), .dim)
        line.append(" ")
        line.append(StatusAppearance.paddedName(of: step.level), StatusAppearance.style(for: step.level))
        if !step.jobName.isEmpty { line.append(" " + step.jobName) }
        if !step.entityTag.isEmpty {
            line.append(" ")
            line.append("[\(step.entityTag)]", .cyan)
        }
        line.append(" " + step.message, step.level >= .warn ? StatusAppearance.style(for: step.level) : nil)
        return line
    }

    private func footerLines(_ state: WorkflowViewState, nowMs: Int64) -> [StyledLine] {
        var lines: [StyledLine] = []
        if let notice = state.connectionNotice {
            var line = StyledLine()
            line.append("⚠ " + notice, .yellow)
            lines.append(line)
        }
        switch state.status {
        case .failed:
            var line = StyledLine()
            let job = state.failedJobName.isEmpty ? "" : " at \(state.failedJobName)"
            line.append("✗ failed\(job): \(state.error.isEmpty ? "no error message" : state.error)", .boldRed)
            lines.append(line)
            var hint = StyledLine()
            hint.append("  " + RetryHint.text(workflowID: state.workflowID), .dim)
            lines.append(hint)
        case .completed:
            var line = StyledLine()
            line.append("✓ completed in \(TimeText.duration(milliseconds: state.elapsedMs(nowMs: nowMs)))", .boldGreen)
            let counters = CounterText.list(state.counters)
            if !counters.isEmpty { line.append(" · " + counters) }
            lines.append(line)
        case .cancelled:
            var line = StyledLine()
            line.append("⊘ cancelled after \(TimeText.duration(milliseconds: state.elapsedMs(nowMs: nowMs)))", .yellow)
            if !state.error.isEmpty { line.append(": " + state.error) }
            lines.append(line)
        default:
            break
        }
        return lines
    }
}
