import WorkflowModel

/// A step as the store keeps it: the step and the position of the job that logged it.
public struct StoredStep: Sendable, Hashable {
    /// The position of the step's job in its workflow.
    public var jobPosition: Int
    /// The step.
    public var step: Step

    /// Creates a stored step.
    public init(jobPosition: Int, step: Step) {
        self.jobPosition = jobPosition
        self.step = step
    }
}
