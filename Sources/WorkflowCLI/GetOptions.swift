/// What `workflowctl get` was asked to do.
package struct GetOptions: Sendable {
    /// The workflow's id.
    package var workflowID: String
    /// Text (the default) or JSON.
    package var output: OutputMode?
    /// Whether text output lists every step.
    package var showsSteps: Bool

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - workflowID: The workflow's id.
    ///   - output: Text (the default) or JSON.
    ///   - showsSteps: Whether text output lists every step.
    package init(workflowID: String, output: OutputMode?, showsSteps: Bool) {
        self.workflowID = workflowID
        self.output = output
        self.showsSteps = showsSteps
    }
}
