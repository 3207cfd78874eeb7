import WorkflowModel

/// A workflow's tree and where it stands in the event log; see
/// ``WorkflowEngine/snapshot(id:)``.
public struct WorkflowSnapshot: Sendable {
    /// The tree.
    public var workflow: Workflow
    /// Changes whenever the tree changes; see ``WorkflowEngine/workflowWithRevision(id:)``.
    public var revision: UInt64
    /// The newest event the tree reflects: every event of the workflow up to it is in the
    /// tree, none after it.
    public var asOfSequence: UInt64
}
