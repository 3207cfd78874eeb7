/// What ``WorkflowEngine/steps(_:)`` answers: the page, or the tree whose steps the store holds.
public enum StepRead: Sendable {
    /// The page, read from memory.
    case page(StepPage)
    /// Some of the workflow's steps are only in the store: read them into this snapshot with
    /// ``WorkflowEngine/withStoredHistory(_:includingSteps:)`` (off the event loop), then take the page with
    /// ``WorkflowEngine/steps(_:in:)``.
    case inStore(WorkflowSnapshot)
}
