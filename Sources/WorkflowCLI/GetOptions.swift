/// What `workflowctl get` was asked to do.
public struct GetOptions: Sendable {
    /// The workflow's id.
    public var workflowID: String
    /// Text (the default) or JSON.
    public var output: OutputMode?
    /// Whether text output lists every step.
    public var showsSteps: Bool

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - workflowID: The workflow's id.
    ///   - output: Text (the default) or JSON.
    ///   - showsSteps: Whether text output lists every step.
    public init(workflowID: String, output: OutputMode?, showsSteps: Bool) {
        self.workflowID = workflowID
        self.output = output
        self.showsSteps = showsSteps
    }
}
