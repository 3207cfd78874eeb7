import WorkflowEngine

/// The parameters of the rule job functions: `rules_path` (required), the rules file.
struct RuleOptions: Sendable {
    var rulesPath: String

    init(params: [String: String]) throws(EngineError) {
        rulesPath = try TemplateParameters.required(params, "rules_path")
    }
}
