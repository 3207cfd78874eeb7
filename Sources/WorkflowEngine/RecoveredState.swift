import WorkflowModel

/// What an ``EventStore`` holds at start, as ``EventStore/recover()`` reads it.
package struct RecoveredState: Sendable {
    /// A stored workflow and the sequence of its first event.
    package struct StoredWorkflow: Sendable {
        /// The workflow with its jobs' steps, progress and stats as last committed.
        package var workflow: Workflow
        /// The sequence of its `workflowStarted` event.
        package var firstSequence: UInt64

        /// Creates a stored workflow.
        package init(workflow: Workflow, firstSequence: UInt64) {
            self.workflow = workflow
            self.firstSequence = firstSequence
        }
    }

    /// Every retained workflow, oldest first.
    package var workflows: [StoredWorkflow]
    /// The newest committed sequence (0 when nothing was ever stored); new events continue after it.
    package var lastSequence: UInt64

    /// Creates a recovered state.
    package init(workflows: [StoredWorkflow], lastSequence: UInt64) {
        self.workflows = workflows
        self.lastSequence = lastSequence
    }
}
