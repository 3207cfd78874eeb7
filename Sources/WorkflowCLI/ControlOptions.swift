/// What `workflowctl retry` or `workflowctl cancel` was asked to do.
public struct ControlOptions: Sendable {
    /// The workflow's id.
    public var workflowID: String
    /// Why (cancel only), recorded in the cancellation events.
    public var reason: String
    /// Whether to watch the workflow to its end.
    public var follow: Bool
    /// The output mode, if given.
    public var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - workflowID: The workflow's id.
    ///   - reason: Why (cancel only).
    ///   - follow: Whether to watch the workflow to its end.
    ///   - output: The output mode, if given.
    public init(workflowID: String, reason: String = "", follow: Bool, output: OutputMode?) {
        self.workflowID = workflowID
        self.reason = reason
        self.follow = follow
        self.output = output
    }
}
