import WorkflowModel

/// A step for ``JobContext/logSteps(_:keeping:)``: what ``JobContext/logStep(_:level:entity:)``
/// takes.
public struct StepEntry: Sendable, Hashable {
    /// What happened, e.g. "Created P-101".
    public var message: String
    /// Severity.
    public var level: LogLevel
    /// The entity the step is about.
    public var entity: EntityReference?

    /// Creates a step entry.
    public init(_ message: String, level: LogLevel = .info, entity: EntityReference? = nil) {
        self.message = message
        self.level = level
        self.entity = entity
    }
}
