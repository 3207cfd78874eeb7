import WorkflowMessages

/// The text form of `workflowctl list`: one workflow per line, in columns.
///
/// ```
/// STATUS       ID               TYPE  CREATED              DURATION  JOBS  SUMMARY
/// ✗ FAILED     wf-0H5N3Q8T2ZK1  TEST  2025-01-31 14:03:06     1.02s  1/3   Demo · failed at Process: Simulated failure
/// ```
package struct WorkflowListFormatter: Sendable {
    /// Creates a formatter.
    package init() {}

    /// The header and one line per workflow.
    ///
    /// - Parameters:
    ///   - workflows: The workflows, in the order to print.
    ///   - nowMs: The current time, for the duration of running workflows.
    /// - Returns: The lines; just a note when there are none.
    package func lines(for workflows: [WorkflowV1.Workflow], nowMs: Int64) -> [StyledLine] {
        guard !workflows.isEmpty else { return [StyledLine("no workflows match")] }
        let idWidth = max(2, workflows.map(\.id.count).max() ?? 0)
        let typeWidth = max(4, workflows.map(\.type.count).max() ?? 0)
        var header = StyledLine()
        header.append(
            TerminalText.padded("STATUS", toWidth: 12) + " " + TerminalText.padded("ID", toWidth: idWidth) + "  "
                + TerminalText.padded("TYPE", toWidth: typeWidth) + "  " + TerminalText.padded("CREATED", toWidth: 19)
                + "  " + TerminalText.leftPadded("DURATION", toWidth: 8) + "  JOBS   SUMMARY",
            .bold
        )
        return [header] + workflows.map { line(for: $0, idWidth: idWidth, typeWidth: typeWidth, nowMs: nowMs) }
    }

    private func line(for workflow: WorkflowV1.Workflow, idWidth: Int, typeWidth: Int, nowMs: Int64) -> StyledLine {
        var line = StyledLine()
        let (symbol, style) = StatusAppearance.symbol(for: workflow.status)
        line.append(symbol, style)
        line.append(" ")
        line.append(TerminalText.padded(workflow.status.shortName, toWidth: 10), style)
        line.append(" " + TerminalText.padded(workflow.id, toWidth: idWidth) + "  ")
        line.append(TerminalText.padded(workflow.type, toWidth: typeWidth), .bold)
        line.append("  " + (workflow.createdAtMs > 0 ? TimeText.localDateTime(epochMs: workflow.createdAtMs) : TerminalText.padded("", toWidth: 19)))
        var duration = ""
        if workflow.startedAtMs > 0 {
            let ms = workflow.finishedAtMs > 0 ? (workflow.stats?.durationMs ?? workflow.finishedAtMs - workflow.startedAtMs) : nowMs - workflow.startedAtMs
            duration = TimeText.duration(milliseconds: ms)
        }
        line.append("  " + TerminalText.leftPadded(duration, toWidth: 8))
        let done = workflow.jobs.filter { $0.status == .completed }.count
        line.append("  " + TerminalText.padded("\(done)/\(workflow.jobs.count)", toWidth: 5))
        var details = [workflow.summary].filter { !$0.isEmpty }
        if workflow.attempt > 1 { details.append("attempt \(workflow.attempt)") }
        line.append("  " + details.joined(separator: " · "))
        if workflow.status == .failed {
            let at = workflow.failedJobName.isEmpty ? "" : " at \(workflow.failedJobName)"
            line.append((details.isEmpty ? "" : " · ") + "failed\(at): \(workflow.error)", .red)
        }
        return line
    }
}
