import WorkflowModel

/// How many retained workflows of one type are in one state; see
/// ``WorkflowEngine/count(_:)``.
public struct WorkflowCount: Sendable, Hashable {
    /// The workflow type.
    public var type: String
    /// The state.
    public var status: WorkflowStatus
    /// How many workflows.
    public var count: Int

    /// Creates a count.
    public init(type: String, status: WorkflowStatus, count: Int) {
        self.type = type
        self.status = status
        self.count = count
    }
}
