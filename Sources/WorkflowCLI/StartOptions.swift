import WorkflowMessages

/// What `workflowctl start` was asked to do.
public struct StartOptions: Sendable {
    /// The workflow to start.
    public var request: WorkflowV1.StartWorkflowRequest
    /// Whether to watch it to its end.
    public var follow: Bool
    /// The output mode, if given.
    public var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: The workflow to start.
    ///   - follow: Whether to watch it to its end.
    ///   - output: The output mode, if given.
    public init(request: WorkflowV1.StartWorkflowRequest, follow: Bool, output: OutputMode?) {
        self.request = request
        self.follow = follow
        self.output = output
    }
}
