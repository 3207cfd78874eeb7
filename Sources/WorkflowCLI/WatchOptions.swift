import WorkflowMessages

/// What `workflowctl watch` was asked to do.
package struct WatchOptions: Sendable {
    /// What the server sends: workflow (empty: all), level, `after_sequence`, `live_only`.
    package var request: WorkflowV1.WatchLogsRequest
    /// Which of those events are printed.
    package var selection: EventSelection
    /// The output mode, if given.
    package var output: OutputMode?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - request: What the server sends.
    ///   - selection: Which of those events are printed.
    ///   - output: The output mode, if given.
    package init(request: WorkflowV1.WatchLogsRequest, selection: EventSelection, output: OutputMode?) {
        self.request = request
        self.selection = selection
        self.output = output
    }
}
