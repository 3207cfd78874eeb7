import WorkflowMessages

/// One human-readable line per log event, for `watch` and `start --follow` in text mode.
///
/// ```
/// #42     14:03:07.250 INFO  STEP_LOGGED       TEST wf-0H5N3Q8T2ZK1 Fetch [ITEM-1-2] Processed item 2 of 4
/// ```
///
/// The workflow columns are left out when one workflow is watched.
package struct EventLineFormatter: Sendable {
    /// Whether to show each event's workflow type and id.
    package var showsWorkflow: Bool

    /// Creates a formatter.
    ///
    /// - Parameter showsWorkflow: Whether to show each event's workflow type and id.
    package init(showsWorkflow: Bool) {
        self.showsWorkflow = showsWorkflow
    }

    /// The line for `event`.
    ///
    /// - Parameter event: The event.
    /// - Returns: The line; render it with or without colour.
    package func line(for event: WorkflowV1.LogEvent) -> StyledLine {
        var line = StyledLine()
        line.append(TerminalText.padded("#\(event.sequence)", toWidth: 7), .dim)
        line.append(" ")
        line.append(TimeText.timeOfDay(epochMs: event.timestampMs), .dim)
        line.append(" ")
        line.append(StatusAppearance.paddedName(of: event.level), StatusAppearance.style(for: event.level))
        line.append(" ")
        line.append(TerminalText.padded(event.kind.shortName, toWidth: 17), kindStyle(event))
        if showsWorkflow {
            line.append(" \(event.workflowType)", .bold)
            line.append(" \(event.workflowID)")
        }
        if !event.jobName.isEmpty { line.append(" " + event.jobName) }
        if let tag = event.step?.entity?.tag, !tag.isEmpty {
            line.append(" ")
            line.append("[\(tag)]", .cyan)
        }
        if event.kind == .progressUpdated {
            line.append(" " + ProgressBar.percent(event.progress).trimmingASCIIWhitespace())
        }
        line.append(" " + event.message, event.level >= .warn ? StatusAppearance.style(for: event.level) : nil)
        if !event.error.isEmpty, !event.message.contains(event.error) {
            line.append(": " + event.error, .red)
        }
        return line
    }

    private func kindStyle(_ event: WorkflowV1.LogEvent) -> TextStyle? {
        switch event.kind {
        case .workflowCompleted, .jobCompleted: .green
        case .workflowFailed, .jobFailed, .failureNotice: .red
        case .workflowCancelled, .jobCancelled, .jobRetryScheduled, .jobInterrupted, .workflowCancelRequested: .yellow
        case .workflowStarted, .jobStarted: .cyan
        default: nil
        }
    }
}
