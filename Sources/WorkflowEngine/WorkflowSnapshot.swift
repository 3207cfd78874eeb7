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
    /// The steps with sequences up to this one are in the store, not in ``workflow`` (its
    /// jobs' `storedStepCount` counts them); 0 when the tree holds every step.
    public var stepsInStoreThrough: UInt64 = 0
    /// Whether only the store holds the workflow's tree: ``workflow`` is an ended workflow's
    /// summary (ids, type, status, times, user, attempt), with no jobs.
    public var treeInStore = false

    /// Whether ``workflow`` is the whole tree with every step; if not, read the rest with
    /// ``WorkflowEngine/withStoredHistory(_:includingSteps:)``, off the network event loop.
    public var isWhole: Bool {
        holdsSteps(after: 0)
    }

    /// Whether ``workflow`` holds the jobs and every step with a sequence above `sequence`.
    public func holdsSteps(after sequence: UInt64) -> Bool {
        !treeInStore && sequence >= stepsInStoreThrough
    }

    /// Whether ``workflow`` is all a read needs: the jobs and, with `includingSteps`, every step.
    public func suffices(includingSteps: Bool) -> Bool {
        includingSteps ? isWhole : !treeInStore
    }
}
