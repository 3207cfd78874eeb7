import WorkflowMessages

/// How statuses and levels look on a terminal: one symbol and colour for each, shared by the
/// live view, the event lines and the `get` tree.
package enum StatusAppearance {
    /// Spinner frames for a running job, one per 100 ms.
    static let spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// The symbol and colour of a job status: ✓ completed, ✗ failed, ⊘ cancelled, ○ pending,
    /// and for running a spinner frame chosen by `nowMs` (● when `nowMs` is nil).
    ///
    /// - Parameters:
    ///   - status: The job's status.
    ///   - nowMs: The current time, to animate the spinner; `nil` for a still symbol.
    /// - Returns: The symbol and its style.
    package static func symbol(for status: WorkflowV1.JobStatus, nowMs: Int64? = nil) -> (String, TextStyle?) {
        switch status {
        case .completed: ("✓", .green)
        case .failed: ("✗", .red)
        case .cancelled: ("⊘", .yellow)
        case .running: (nowMs.map { spinnerFrames[Int(($0 / 100) % Int64(spinnerFrames.count))] } ?? "●", .cyan)
        default: ("○", .dim)
        }
    }

    /// The symbol and colour of a workflow status, as for jobs.
    ///
    /// - Parameters:
    ///   - status: The workflow's status.
    ///   - nowMs: The current time, to animate the spinner; `nil` for a still symbol.
    /// - Returns: The symbol and its style.
    package static func symbol(for status: WorkflowV1.WorkflowStatus, nowMs: Int64? = nil) -> (String, TextStyle?) {
        switch status {
        case .completed: symbol(for: WorkflowV1.JobStatus.completed)
        case .failed: symbol(for: WorkflowV1.JobStatus.failed)
        case .cancelled: symbol(for: WorkflowV1.JobStatus.cancelled)
        case .running: symbol(for: WorkflowV1.JobStatus.running, nowMs: nowMs)
        default: symbol(for: WorkflowV1.JobStatus.pending)
        }
    }

    /// The colour of a level: DEBUG faint, INFO blue, WARN yellow, ERROR red.
    ///
    /// - Parameter level: The level.
    /// - Returns: Its style.
    package static func style(for level: WorkflowV1.LogLevel) -> TextStyle? {
        switch level {
        case .debug: .dim
        case .info: .blue
        case .warn: .yellow
        case .error: .red
        default: nil
        }
    }

    /// A level's short name padded to five characters, so messages line up.
    ///
    /// - Parameter level: The level.
    /// - Returns: Such as `INFO ` or `ERROR`.
    package static func paddedName(of level: WorkflowV1.LogLevel) -> String {
        TerminalText.padded(level.shortName, toWidth: 5)
    }
}
