import WorkflowModel

/// One page of ``WorkflowEngine/list(_:)``.
package struct WorkflowPage: Sendable, Hashable {
    /// The workflows, newest first.
    package var workflows: [Workflow]
    /// Pass as ``WorkflowQuery/pageToken`` for the next page; nil on the last page.
    package var nextPageToken: String?

    /// Creates a page.
    package init(workflows: [Workflow], nextPageToken: String?) {
        self.workflows = workflows
        self.nextPageToken = nextPageToken
    }
}
