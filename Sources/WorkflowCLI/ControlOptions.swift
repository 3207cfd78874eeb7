/// What `workflowctl retry` or `workflowctl cancel` was asked to do.
package struct ControlOptions: Sendable {
    /// The workflow's id.
    package var workflowID: String
    /// Why (cancel only), recorded in the cancellation events.
    package var reason: String
    /// Whether to watch the workflow to its end.
    package var follow: Bool
    /// The output mode, if given.
    package var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - workflowID: The workflow's id.
    ///   - reason: Why (cancel only).
    ///   - follow: Whether to watch the workflow to its end.
    ///   - output: The output mode, if given.
    package init(workflowID: String, reason: String = "", follow: Bool, output: OutputMode?) {
        self.workflowID = workflowID
        self.reason = reason
        self.follow = follow
        self.output = output
    }
}
