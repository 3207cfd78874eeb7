import WorkflowMessages

/// What `workflowctl watch` was asked to do.
public struct WatchOptions: Sendable {
    /// What the server sends: workflow (empty: all), level, `after_sequence`, `live_only`.
    public var request: WorkflowV1.WatchLogsRequest
    /// Which of those events are printed.
    public var selection: EventSelection
    /// The output mode, if given.
    public var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: What the server sends.
    ///   - selection: Which of those events are printed.
    ///   - output: The output mode, if given.
    public init(request: WorkflowV1.WatchLogsRequest, selection: EventSelection, output: OutputMode?) {
        self.request = request
        self.selection = selection
        self.output = output
    }
}
