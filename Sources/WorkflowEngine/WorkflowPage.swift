import WorkflowModel

/// One page of ``WorkflowEngine/list(_:)``.
public struct WorkflowPage: Sendable, Hashable {
    /// The workflows, newest first.
    public var workflows: [Workflow]
    /// Pass as ``WorkflowQuery/pageToken`` for the next page; nil on the last page.
    public var nextPageToken: String?
    /// The workflows on the page that are only a summary here, their trees being in the store
    /// (see ``WorkflowSnapshot/treeInStore``): read them with
    /// ``WorkflowEngine/withStoredTrees(_:)``, off the network event loop.
    public var treesInStore: Set<String> = []

    /// Creates a page.
    public init(workflows: [Workflow], nextPageToken: String?, treesInStore: Set<String> = []) {
        self.workflows = workflows
        self.nextPageToken = nextPageToken
        self.treesInStore = treesInStore
    }
}
