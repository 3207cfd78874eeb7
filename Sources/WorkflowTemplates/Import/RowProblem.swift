import WorkflowModel

/// Something wrong with one input row or one asset, logged as a WARN or ERROR step.
package struct RowProblem: Sendable, Hashable {
    /// The 1-based line of the input the problem is on; 0 when it is about no line.
    package var line: Int
    /// WARN when the row is kept (e.g. a link dropped), ERROR when it is rejected.
    package var level: LogLevel
    /// The step's message, starting with the line, e.g. "Line 9: rejected P_102: …".
    package var message: String
    /// The entity the problem is about, when the row names one.
    package var entity: EntityReference?

    /// Creates a problem.
    package init(line: Int, level: LogLevel, message: String, entity: EntityReference? = nil) {
        self.line = line
        self.level = level
        self.message = message
        self.entity = entity
    }
}
