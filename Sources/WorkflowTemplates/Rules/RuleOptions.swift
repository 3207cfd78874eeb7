import WorkflowEngine

/// The parameters of the rule job functions.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `file_id` | the uploaded rules file (see `UploadFile`) | |
/// | `rules_path` | or: a rules file on the server's disk | |
/// | `max_problem_steps` | how many violations Execute logs as steps; one more step counts the rest, 0–100000 | 50 |
struct RuleOptions: Sendable {
    var input: InputFile
    var maxProblemSteps: Int

    /// Checks `params`: `max_problem_steps` first, then the rules file (see
    /// ``BuiltInJobFunction/validate``).
    init(params: [String: String]) throws(EngineError) {
        maxProblemSteps = try TemplateParameters.maxProblemSteps(params)
        input = try InputFile(params: params, pathParameter: "rules_path")
    }
}
