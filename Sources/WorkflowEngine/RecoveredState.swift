import WorkflowModel

/// What an ``EventStore`` holds at start, as ``EventStore/recover()`` reads it.
public struct RecoveredState: Sendable {
    /// A stored workflow and the sequence of its first event.
    public struct StoredWorkflow: Sendable {
        /// The workflow with its jobs' progress and stats as last committed, and their steps
        /// (or, for an ended workflow, their `storedStepCount`).
        public var workflow: Workflow
        /// The sequence of its `workflowStarted` event.
        public var firstSequence: UInt64

        /// Creates a stored workflow.
        public init(workflow: Workflow, firstSequence: UInt64) {
            self.workflow = workflow
            self.firstSequence = firstSequence
        }
    }

    /// Every retained workflow, oldest first.
    public var workflows: [StoredWorkflow]
    /// The newest committed sequence (0 when nothing was ever stored); new events continue after it.
    public var lastSequence: UInt64

    /// Creates a recovered state.
    public init(workflows: [StoredWorkflow], lastSequence: UInt64) {
        self.workflows = workflows
        self.lastSequence = lastSequence
    }
}
