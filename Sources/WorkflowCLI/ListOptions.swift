import WorkflowMessages

/// What `workflowctl list` was asked to do.
public struct ListOptions: Sendable {
    /// Filters (statuses, type, user, time range); page size and token are set per page.
    public var request: WorkflowV1.ListWorkflowsRequest
    /// The most workflows to print.
    public var limit: Int
    /// Text (the default) or JSON lines.
    public var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: Filters.
    ///   - limit: The most workflows to print.
    ///   - output: Text (the default) or JSON lines.
    public init(request: WorkflowV1.ListWorkflowsRequest, limit: Int, output: OutputMode?) {
        self.request = request
        self.limit = limit
        self.output = output
    }
}
