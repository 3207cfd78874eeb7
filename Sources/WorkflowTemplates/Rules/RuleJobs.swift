import Foundation
import WorkflowEngine
import WorkflowModel

/// The job functions of `RULE_EXECUTION`: `rules.load`, `rules.execute` and `rules.apply`.
/// All take the rules file (see ``Rule``): `file_id`, an upload, or `rules_path`, a path on the
/// server's disk.
///
/// Each is safe to run again, and each loads the rules file itself: nothing passes between them
/// in memory. Apply evaluates the rules over the registry as it is when it runs, so what it
/// writes is right even if the registry changed since Execute. Only Apply writes, and what it
/// writes converges: a flag is set to a value, a cable is created only when none links the same
/// two assets; each change is stored in the same commit as its step. Outputs: Load
/// `rules_loaded`; Execute `violations`, `cables_missing`; Apply `cables_generated`,
/// `flags_changed` (the workflow's result). A rules file that cannot be read fails with the
/// code `IO` (retried), one with a bad line with `VALIDATION` (not retried).
enum RuleJobs {
    static let all = [load, execute, apply]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        _ = try RuleOptions(params: params)
    }

    /// `rules.load`: reads the rules file, one step per rule; a file that cannot be read or
    /// has a bad line fails the job with the line and reason (see ``loadRules(_:in:)``). Stats:
    /// `rulesLoaded`.
    static let load = BuiltInJobFunction(name: "rules.load", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let (file, rules) = try loadRules(options, in: run)
        for rule in rules {
            run.context.logStep(
                "Loaded rule \(rule.id): \(rule.summary)",
                entity: EntityReference(tag: rule.id, route: "\(file.entity.route)#L\(rule.line)", type: "Rule")
            )
        }
        run.context.recordStat("rulesLoaded", Int64(rules.count))
        try run.setOutputs(["rules_loaded": String(rules.count)])
    }

    /// `rules.execute`: evaluates the rules over the registry; one WARN step per violation,
    /// one step per missing cable, up to `max_problem_steps` such steps, then one step counting
    /// the rest. Stats: `itemsProcessed` (assets), `violations`,
    /// `cablesMissing`.
    static let execute = BuiltInJobFunction(name: "rules.execute", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let rules = try loadRules(options, in: run).rules
        try run.checkCancellation("before evaluating")
        let assets = run.assets.all()
        let outcomes = RuleEvaluation.evaluate(rules, over: assets)
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
        try run.setOutputs(["violations": String(violations), "cables_missing": String(missingCables)])
    }

    /// `rules.apply`: sets the flag of each violated rule on its asset, clears flags of rules
    /// now satisfied, and generates missing cables, one step per change, each change stored in
    /// the same commit as its step. Re-running changes nothing twice. Stats: `itemsCreated`
    /// (cables), `itemsUpdated` (flags set or cleared).
    static let apply = BuiltInJobFunction(name: "rules.apply", validate: checkOptions) { run in
        let options = try run.options(RuleOptions.init(params:))
        let outcomes = RuleEvaluation.evaluate(try loadRules(options, in: run).rules, over: run.assets.all())
        let workflowID = run.context.workflowID
        var created: Int64 = 0
        var updated: Int64 = 0
        for (batchStart, batch) in outcomes.batches(of: 100) {
            try run.checkCancellation("after applying \(batchStart) of \(outcomes.count) results")
            for outcome in batch {
                switch outcome {
                case .violation(let rule, let tag, let message):
                    if let write = run.assets.setFlag(rule, message: message, onTag: tag, by: workflowID) {
                        updated += 1
                        run.context.logSteps(
                            [StepEntry("Flagged \(tag) (\(rule)): \(message)", level: .warn, entity: write.asset.entity)], keeping: write.records
                        )
                    }
                case .satisfied(let rule, let tag):
                    if let write = run.assets.clearFlag(rule, onTag: tag, by: workflowID) {
                        updated += 1
                        run.context.logSteps([StepEntry("Cleared flag \(rule) on \(tag)", entity: write.asset.entity)], keeping: write.records)
                    }
                case .missingCable(let rule, let from, let to, let prefix):
                    let cable = run.assets.createNumbered(
                        prefix: prefix,
                        by: workflowID,
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
                        run.context.logSteps(
                            [StepEntry("Generated cable \(cable.asset.tag) between \(from) and \(to)", entity: cable.asset.entity)],
                            keeping: cable.records
                        )
                    }
                }
            }
            let done = batchStart + batch.count
            try run.context.updateProgress(Double(done) / Double(outcomes.count), message: "Applied \(done)/\(outcomes.count) results")
        }
        run.context.logStep("Applied results: \(created) cables generated, \(updated) flags changed")
        run.context.recordStat("itemsCreated", created)
        run.context.recordStat("itemsUpdated", updated)
        try run.setOutputs(["cables_generated": String(created), "flags_changed": String(updated)])
    }

    /// The rules file (`file_id`, an upload, or `rules_path`) and its rules.
    ///
    /// - Throws: ``JobError``: code `IO` (retryable) when the file cannot be read; code
    ///   `VALIDATION` (not retryable) when it is not UTF-8 text or has a bad line, naming it.
    private static func loadRules(_ options: RuleOptions, in run: JobRun) throws(JobError) -> (file: InputFile.Resolved, rules: [Rule]) {
        let file = try options.input.resolve(in: run.files)
        let path = file.label
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file.path))
        } catch {
            throw .io("Cannot load rules: \(path): cannot read the file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput("Cannot load rules: \(path): not UTF-8 text")
        }
        do throws(DeclarationError) {
            return (file, try RuleFile.parse(text, file: path))
        } catch {
            throw .invalidInput("Cannot load rules: \(error)")
        }
    }

    private static func entity(_ tag: String, in run: JobRun) -> EntityReference {
        run.assets.asset(tag: tag)?.entity ?? EntityReference(tag: tag, type: "Asset")
    }
}
