import WorkflowModel

/// Which events a watcher wants.
///
/// Every criterion narrows the selection; an unset criterion selects everything. Terminal
/// workflow events (completed, failed, cancelled) pass the level criterion whatever their
/// level, so a watcher of one workflow always learns that it ended. New criteria (type, user,
/// job, entity tag) are added as further optional properties that default to "any".
///
/// ```swift
/// let filter = EventFilter(workflowID: id, minimumLevel: .warn)
/// ```
public struct EventFilter: Sendable, Hashable {
    /// Only events of this workflow; `nil` for every workflow.
    public var workflowID: String?
    /// Events below this level are left out, except terminal workflow events.
    public var minimumLevel: LogLevel

    /// Creates a filter.
    ///
    /// - Parameters:
    ///   - workflowID: Only events of this workflow; `nil` (or empty) for every workflow.
    ///   - minimumLevel: Events below this level are left out, except terminal workflow events.
    public init(workflowID: String? = nil, minimumLevel: LogLevel = .debug) {
        self.workflowID = workflowID?.isEmpty == true ? nil : workflowID
        self.minimumLevel = minimumLevel
    }

    /// A filter that matches every event.
    public static let all = EventFilter()

    /// Whether `event` is selected.
    public func matches(_ event: LogEvent) -> Bool {
        if let workflowID, event.workflowID != workflowID {
            return false
        }
        return event.level >= minimumLevel || event.kind.isTerminalWorkflowEvent
    }
}
