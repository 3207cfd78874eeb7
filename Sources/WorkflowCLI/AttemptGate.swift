import WorkflowMessages

/// Lets through only the events of one attempt of a retried workflow and the later ones.
///
/// `workflowctl retry --follow` watches from before the retry (so the retry's first events are
/// not missed) and must not show the earlier attempt's failure again: the gate opens at the
/// `WORKFLOW_RETRIED` event of the new attempt. Without an attempt it is always open.
package struct AttemptGate: Hashable, Sendable {
    private let attempt: Int32?
    private var isOpen: Bool

    /// Creates a gate.
    ///
    /// - Parameter attempt: The first attempt to show, or `nil` to show everything.
    package init(attempt: Int32?) {
        self.attempt = attempt
        self.isOpen = attempt == nil
    }

    /// Whether `event` is shown; the gate opens at the retry event of ``attempt`` or later.
    ///
    /// - Parameter event: The next event of the workflow.
    /// - Returns: `true` from the opening event on.
    package mutating func admits(_ event: WorkflowV1.LogEvent) -> Bool {
        if !isOpen, let attempt, event.kind == .workflowRetried, event.attempt >= attempt {
            isOpen = true
        }
        return isOpen
    }

    /// Where to watch `workflow` from so the gate sees the retry event of `attempt`: after the
    /// newest step of an earlier attempt (0 when there is none).
    ///
    /// - Parameters:
    ///   - workflow: A snapshot taken after the retry.
    ///   - attempt: The new attempt.
    /// - Returns: The `after_sequence` to watch from.
    package static func watchStart(of workflow: WorkflowV1.Workflow, beforeAttempt attempt: Int32) -> UInt64 {
        workflow.jobs.flatMap(\.steps).filter { $0.attempt < attempt }.map(\.sequence).max() ?? 0
    }
}
