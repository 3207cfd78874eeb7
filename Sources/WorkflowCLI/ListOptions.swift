import WorkflowMessages

/// What `workflowctl list` was asked to do.
package struct ListOptions: Sendable {
    /// Filters (statuses, type, user, time range); page size and token are set per page.
    package var request: WorkflowV1.ListWorkflowsRequest
    /// The most workflows to print.
    package var limit: Int
    /// Text (the default) or JSON lines.
    package var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: Filters.
    ///   - limit: The most workflows to print.
    ///   - output: Text (the default) or JSON lines.
    package init(request: WorkflowV1.ListWorkflowsRequest, limit: Int, output: OutputMode?) {
        self.request = request
        self.limit = limit
        self.output = output
    }
}
