import WorkflowEngine
import WorkflowModel

/// Logs a job's ``RowProblem``s as steps, at most `limit` of them (the `max_problem_steps`
/// parameter), then one summary step counting the ones not logged.
///
/// A job that finds problems batch by batch keeps one value and calls ``log(_:)`` per batch,
/// then ``finish()``; the summary step (only when problems were left out) reads "… and 7 more
/// problems not logged as steps (max_problem_steps=50)" at the level of the worst of them.
///
/// ```swift
/// var steps = ProblemSteps(limit: options.maxProblemSteps, context: run.context)
/// for batch in batches { steps.log(problems(in: batch)) }
/// steps.finish()
/// ```
struct ProblemSteps {
    /// The most problems logged as steps of their own.
    let limit: Int
    private let context: JobContext
    /// Problems logged as steps so far.
    private(set) var logged = 0
    /// Problems beyond ``limit``, counted in the summary step.
    private(set) var omitted = 0
    private var worstOmitted = LogLevel.debug

    /// Creates a logger for `context` that logs at most `limit` problems as steps.
    init(limit: Int, context: JobContext) {
        self.limit = max(0, limit)
        self.context = context
    }

    /// Logs each of `problems` as a step, in order, while fewer than ``limit`` were logged;
    /// counts the rest for ``finish()``.
    mutating func log(_ problems: some Collection<RowProblem>) {
        for problem in problems {
            if logged < limit {
                context.logStep(problem.message, level: problem.level, entity: problem.entity)
                logged += 1
            } else {
                omitted += 1
                worstOmitted = max(worstOmitted, problem.level)
            }
        }
    }

    /// Logs the summary step when problems were left out; nothing otherwise.
    func finish() {
        guard omitted > 0 else { return }
        context.logStep(
            "… and \(omitted) more \(omitted == 1 ? "problem" : "problems") not logged as steps (max_problem_steps=\(limit))",
            level: worstOmitted
        )
    }
}
