/// What a template makes of one workflow's parameters: the jobs to run and the deadline.
public struct WorkflowPlan: Sendable {
    /// The jobs to run, in order.
    public var jobs: [JobDefinition]
    /// How long the workflow may run from its start (or its retry); `nil` for no deadline.
    public var deadline: Duration?

    /// Creates a plan.
    ///
    /// - Parameters:
    ///   - jobs: The jobs to run, in order.
    ///   - deadline: How long the workflow may run; `nil` (the default) for no deadline.
    public init(jobs: [JobDefinition], deadline: Duration? = nil) {
        self.jobs = jobs
        self.deadline = deadline
    }
}
