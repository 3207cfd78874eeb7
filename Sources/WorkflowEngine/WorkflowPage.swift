import WorkflowModel

/// One page of ``WorkflowEngine/list(_:)``.
public struct WorkflowPage: Sendable, Hashable {
    /// The workflows, newest first.
    public var workflows: [Workflow]
    /// Pass as ``WorkflowQuery/pageToken`` for the next page; nil on the last page.
    public var nextPageToken: String?

    /// Creates a page.
    public init(workflows: [Workflow], nextPageToken: String?) {
        self.workflows = workflows
        self.nextPageToken = nextPageToken
    }
}
