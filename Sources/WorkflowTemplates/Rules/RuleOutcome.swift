/// What evaluating a rule on the registry found, for ``RuleJobs`` to apply.
package enum RuleOutcome: Sendable, Hashable {
    /// The asset with `tag` violates rule `rule`: set the flag.
    case violation(rule: String, tag: String, message: String)
    /// The asset with `tag` satisfies rule `rule`: clear its flag if set.
    case satisfied(rule: String, tag: String)
    /// A cable between `from` and `to` is missing: generate one.
    case missingCable(rule: String, from: String, to: String, prefix: String)
}
