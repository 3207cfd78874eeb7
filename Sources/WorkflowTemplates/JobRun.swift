import WorkflowEngine
import WorkflowModel

/// What a built-in job function gets: the engine's job context, the parameters (the start
/// request's, filled in with the job's configured ones) and the shared environment.
public struct JobRun: Sendable {
    /// The job's logger (steps, progress, stats) and identity.
    public let context: JobContext
    /// The start parameters, plus the job's configured parameters where the request gives none.
    public let params: [String: String]
    /// The registry and the scratchpad.
    public let environment: TemplateEnvironment

    /// Creates a run.
    public init(context: JobContext, params: [String: String], environment: TemplateEnvironment) {
        self.context = context
        self.params = params
        self.environment = environment
    }

    /// The asset registry.
    public var assets: AssetRegistry { environment.assets }

    /// Reads a value of this workflow's scratch state.
    func scratch<Value: Sendable>(_ read: (ScratchState) -> Value?) -> Value? {
        environment.scratchpad.read(context.workflowID, read)
    }

    /// Changes this workflow's scratch state.
    func updateScratch(_ body: (inout ScratchState) -> Void) {
        environment.scratchpad.update(context.workflowID, body)
    }

    /// Throws when the job was asked to stop; called at batch boundaries.
    ///
    /// - Parameter done: How far the job got, for the error, e.g. "after 200 of 1000 rows".
    func checkCancellation(_ done: String) throws {
        if context.isCancelled {
            throw JobError("Cancelled \(done)")
        }
    }

    /// Logs `problems` as steps, at most `limit` of them, then one step counting the rest.
    func logProblems(_ problems: [RowProblem], limit: Int = 50) {
        for problem in problems.prefix(limit) {
            context.logStep(problem.message, level: problem.level, entity: problem.entity)
        }
        if problems.count > limit {
            let worst = problems.dropFirst(limit).map(\.level).max() ?? .warn
            context.logStep("… and \(problems.count - limit) more problems like these", level: worst)
        }
    }
}
