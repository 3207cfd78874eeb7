import Foundation
import WorkflowEngine
import WorkflowModel

/// The job functions of `RULE_EXECUTION`: `rules.load`, `rules.execute` and `rules.apply`.
/// All take `rules_path`, the rules file (see ``Rule``).
///
/// Each is safe to run again, and each derives its input again when the scratch state lacks it
/// (a restart after a crash): Execute and Apply load the rules file themselves, Apply
/// evaluates the rules itself. Only Apply writes, and what it writes converges: a flag is set
/// to a value, a cable is created only when none links the same two assets. A rules file that
/// cannot be read fails with the code `IO` (retried), one with a bad line with `VALIDATION`
/// (not retried).
enum RuleJobs {
    static let all = [load, execute, apply]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        _ = try RuleOptions(params: params)
    }

    /// `rules.load`: reads the rules file, one step per rule; a file that cannot be read or
    /// has a bad line fails the job with the line and reason (see ``loadRules(_:)``). Stats:
    /// `rulesLoaded`.
    static let load = BuiltInJobFunction(name: "rules.load", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let rules = try loadRules(options)
        run.updateScratch { $0.rules = rules; $0.ruleOutcomes = nil }
        for rule in rules {
            run.context.logStep(
                "Loaded rule \(rule.id): \(rule.summary)",
                entity: EntityReference(tag: rule.id, route: "\(options.rulesPath)#L\(rule.line)", type: "Rule")
            )
        }
        run.context.recordStat("rulesLoaded", Int64(rules.count))
    }

    /// `rules.execute`: evaluates the rules over the registry; one WARN step per violation,
    /// one step per missing cable, up to `max_problem_steps` such steps, then one step counting
    /// the rest. Stats: `itemsProcessed` (assets), `violations`,
    /// `cablesMissing`.
    static let execute = BuiltInJobFunction(name: "rules.execute", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let rules = try run.scratch(\.rules) ?? loadRules(options)
        try run.checkCancellation("before evaluating")
        let assets = run.assets.all()
        let outcomes = RuleEvaluation.evaluate(rules, over: assets)
        run.updateScratch { $0.ruleOutcomes = outcomes }
        var problems: [RowProblem] = []
        var missingCables = 0
        for outcome in outcomes {
            switch outcome {
            case .violation(let rule, let tag, let message):
                problems.append(RowProblem(line: 0, level: .warn, message: "\(rule): \(message)", entity: entity(tag, in: run)))
            case .missingCable(_, let from, let to, _):
                missingCables += 1
                problems.append(RowProblem(line: 0, level: .info, message: "Missing cable between \(from) and \(to)", entity: entity(from, in: run)))
            case .satisfied:
                break
            }
        }
        run.logProblems(problems, limit: options.maxProblemSteps)
        let violations = problems.count - missingCables
        run.context.logStep(
            "Evaluated \(rules.count) rules over \(assets.count) assets: \(violations) violations, \(missingCables) missing cables"
        )
        try run.context.updateProgress(1, message: "Evaluated \(rules.count)/\(rules.count) rules")
        run.context.recordStat("itemsProcessed", Int64(assets.count))
        run.context.recordStat("violations", Int64(violations))
        run.context.recordStat("cablesMissing", Int64(missingCables))
    }

    /// `rules.apply`: sets the flag of each violated rule on its asset, clears flags of rules
    /// now satisfied, and generates missing cables, one step per change. Re-running changes
    /// nothing twice. Stats: `itemsCreated` (cables), `itemsUpdated` (flags set or cleared).
    static let apply = BuiltInJobFunction(name: "rules.apply", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let outcomes: [RuleOutcome]
        if let stored = run.scratch(\.ruleOutcomes) {
            outcomes = stored
        } else {
            outcomes = RuleEvaluation.evaluate(try run.scratch(\.rules) ?? loadRules(options), over: run.assets.all())
        }
        var created: Int64 = 0
        var updated: Int64 = 0
        for (batchStart, batch) in outcomes.batches(of: 100) {
            try run.checkCancellation("after applying \(batchStart) of \(outcomes.count) results")
            for outcome in batch {
                switch outcome {
                case .violation(let rule, let tag, let message):
                    if let asset = run.assets.setFlag(rule, message: message, onTag: tag) {
                        updated += 1
                        run.context.logStep("Flagged \(tag) (\(rule)): \(message)", level: .warn, entity: asset.entity)
                    }
                case .satisfied(let rule, let tag):
                    if let asset = run.assets.clearFlag(rule, onTag: tag) {
                        updated += 1
                        run.context.logStep("Cleared flag \(rule) on \(tag)", entity: asset.entity)
                    }
                case .missingCable(let rule, let from, let to, let prefix):
                    let cable = run.assets.createNumbered(
                        prefix: prefix,
                        unless: { $0.type == "Cable" && Set($0.links) == [from, to] },
                        { tag in
                            AssetDraft(
                                tag: tag, type: "Cable", name: "Cable \(from) → \(to)",
                                attributes: ["from": from, "to": to, "generated_by": rule], links: [from, to]
                            )
                        }
                    )
                    if let cable {
                        created += 1
                        run.context.logStep("Generated cable \(cable.tag) between \(from) and \(to)", entity: cable.entity)
                    }
                }
            }
            let done = batchStart + batch.count
            try run.context.updateProgress(Double(done) / Double(outcomes.count), message: "Applied \(done)/\(outcomes.count) results")
        }
        run.context.logStep("Applied results: \(created) cables generated, \(updated) flags changed")
        run.context.recordStat("itemsCreated", created)
        run.context.recordStat("itemsUpdated", updated)
    }

    /// The rules of the file at `rules_path`.
    ///
    /// - Throws: ``JobError``: code `IO` (retryable) when the file cannot be read; code
    ///   `VALIDATION` (not retryable) when it is not UTF-8 text or has a bad line, naming it.
    private static func loadRules(_ options: RuleOptions) throws(JobError) -> [Rule] {
        let path = options.rulesPath
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io("Cannot load rules: \(path): cannot read the file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput("Cannot load rules: \(path): not UTF-8 text")
        }
        do throws(DeclarationError) {
            return try RuleFile.parse(text, file: path)
        } catch {
            throw .invalidInput("Cannot load rules: \(error)")
        }
    }

    private static func entity(_ tag: String, in run: JobRun) -> EntityReference {
        run.assets.asset(tag: tag)?.entity ?? EntityReference(tag: tag, type: "Asset")
    }
}
