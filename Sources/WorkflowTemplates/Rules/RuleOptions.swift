import WorkflowEngine

/// The parameters of the rule job functions.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `rules_path` | the rules file (required) | |
/// | `max_problem_steps` | how many violations Execute logs as steps; one more step counts the rest, 0–100000 | 50 |
struct RuleOptions: Sendable {
    var rulesPath: String
    var maxProblemSteps: Int

    /// Checks `params`: `max_problem_steps` first, then `rules_path` (see
    /// ``BuiltInJobFunction/validate``).
    init(params: [String: String]) throws(EngineError) {
        maxProblemSteps = try TemplateParameters.maxProblemSteps(params)
        rulesPath = try TemplateParameters.required(params, "rules_path")
    }
}
