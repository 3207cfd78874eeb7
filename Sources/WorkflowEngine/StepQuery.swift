import WorkflowModel

/// Which steps of one workflow ``WorkflowEngine/steps(_:)`` returns, and which window of them.
public struct StepQuery: Sendable, Hashable {
    /// The default number of steps per page.
    public static let defaultPageSize = 100
    /// The largest page size accepted.
    public static let maxPageSize = 1000

    /// The workflow whose steps to list.
    public var workflowID: String
    /// Only this job's steps; nil for every job's.
    public var jobID: String?
    /// Steps below this level are left out.
    public var minimumLevel: LogLevel
    /// Only steps naming this entity tag; nil for any.
    public var entityTag: String?
    /// Only steps with a smaller sequence; nil for no bound.
    public var beforeSequence: UInt64?
    /// Only steps with a greater sequence; nil for no bound.
    public var afterSequence: UInt64?
    /// At most this many steps (1 to ``maxPageSize``).
    public var pageSize: Int
    /// Whether the page holds the oldest matching steps of the range (a forward read) rather
    /// than the newest.
    public var oldestFirst: Bool

    /// Creates a query; empty strings mean "any".
    public init(
        workflowID: String,
        jobID: String? = nil,
        minimumLevel: LogLevel = .debug,
        entityTag: String? = nil,
        beforeSequence: UInt64? = nil,
        afterSequence: UInt64? = nil,
        pageSize: Int = StepQuery.defaultPageSize,
        oldestFirst: Bool = false
    ) {
        self.workflowID = workflowID
        self.jobID = jobID?.isEmpty == true ? nil : jobID
        self.minimumLevel = minimumLevel
        self.entityTag = entityTag?.isEmpty == true ? nil : entityTag
        self.beforeSequence = beforeSequence
        self.afterSequence = afterSequence
        self.pageSize = pageSize
        self.oldestFirst = oldestFirst
    }

    /// Whether `step` passes the level and entity criteria.
    func matches(_ step: Step) -> Bool {
        if step.level < minimumLevel { return false }
        if let entityTag, step.entity?.tag != entityTag { return false }
        return true
    }
}

/// One window of a workflow's steps; see ``WorkflowEngine/steps(_:)``.
public struct StepPage: Sendable, Hashable {
    /// The steps, oldest first, each as the `stepLogged` event that recorded it.
    public var steps: [LogEvent]
    /// Whether more matching steps lie beyond the page in the direction it was read.
    public var hasMore: Bool

    /// Creates a page.
    public init(steps: [LogEvent], hasMore: Bool) {
        self.steps = steps
        self.hasMore = hasMore
    }
}
