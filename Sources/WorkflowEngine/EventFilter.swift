import WorkflowModel

/// Which events a watcher wants.
///
/// Every criterion narrows the selection; an unset criterion selects everything. Workflow
/// criteria (id, type, user) apply to every event. Event criteria (level, job, entity tag, kind) do
/// not apply to terminal workflow events (completed, failed, cancelled): a watcher of a
/// workflow always learns that it ended.
///
/// ```swift
/// let filter = EventFilter(workflowID: id, minimumLevel: .warn)
/// ```
public struct EventFilter: Sendable, Hashable {
    /// Only events of this workflow; `nil` for every workflow.
    public var workflowID: String?
    /// Events below this level are left out, except terminal workflow events.
    public var minimumLevel: LogLevel
    /// Only workflows of this type; `nil` for any.
    public var workflowType: String?
    /// Only workflows started by this user; `nil` for any.
    public var userID: String?
    /// Only events of this job (and the terminal events of its workflow); `nil` for any.
    public var jobID: String?
    /// Only steps naming this entity tag (and terminal workflow events); `nil` for any.
    public var entityTag: String?
    /// Only events of these kinds (and terminal workflow events); empty for any.
    public var kinds: Set<LogEventKind>

    /// Creates a filter; an empty string means "any", like `nil`.
    public init(
        workflowID: String? = nil,
        minimumLevel: LogLevel = .debug,
        workflowType: String? = nil,
        userID: String? = nil,
        jobID: String? = nil,
        entityTag: String? = nil,
        kinds: Set<LogEventKind> = []
    ) {
        func nonEmpty(_ value: String?) -> String? { value?.isEmpty == true ? nil : value }
        self.workflowID = nonEmpty(workflowID)
        self.minimumLevel = minimumLevel
        self.workflowType = nonEmpty(workflowType)
        self.userID = nonEmpty(userID)
        self.jobID = nonEmpty(jobID)
        self.entityTag = nonEmpty(entityTag)
        self.kinds = kinds
    }

    /// Every event.
    public static let all = EventFilter()

    /// Whether every event passes (no criterion is set).
    var selectsEverything: Bool { self == .all }

    /// Whether `event` passes every criterion.
    public func matches(_ event: LogEvent) -> Bool {
        if let workflowID, event.workflowID != workflowID { return false }
        if let workflowType, event.workflowType != workflowType { return false }
        if let userID, event.userID != userID { return false }
        if event.kind.isTerminalWorkflowEvent { return true }
        if event.level < minimumLevel { return false }
        if let jobID, event.job?.id != jobID { return false }
        if let entityTag, event.step?.entity?.tag != entityTag { return false }
        if !kinds.isEmpty, !kinds.contains(event.kind) { return false }
        return true
    }
}
