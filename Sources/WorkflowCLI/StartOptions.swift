import WorkflowMessages

/// What `workflowctl start` was asked to do.
package struct StartOptions: Sendable {
    /// The workflow to start.
    package var request: WorkflowV1.StartWorkflowRequest
    /// Whether to watch it to its end.
    package var follow: Bool
    /// The output mode, if given.
    package var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: The workflow to start.
    ///   - follow: Whether to watch it to its end.
    ///   - output: The output mode, if given.
    package init(request: WorkflowV1.StartWorkflowRequest, follow: Bool, output: OutputMode?) {
        self.request = request
        self.follow = follow
        self.output = output
    }
}
