import Foundation
import WorkflowEngine
import WorkflowModel

/// The job functions of `IMPORT_ASSETS`: `import.fetch`, `import.process`, `import.validate`
/// and `import.save`. All take the parameters of ``ImportOptions``.
///
/// Each is safe to run again, and each reads the file anew (an upload never changes): nothing
/// passes between them in memory, so a job run again after a retry or a restart needs nothing
/// but the file, the registry and the earlier jobs' outputs. Only Save writes, and it upserts by
/// tag, each asset in the same commit as the step that reports it. Outputs: Fetch `rows_read`,
/// `file_name` (and `file_id`, `sha256` for an upload); Process `rows_ready`, `rows_skipped`;
/// Validate `assets_valid`, `assets_rejected`; Save `assets_created`, `assets_updated`,
/// `assets_unchanged` (the workflow's result). A file that cannot be read fails with the code
/// `IO` (retried), one that cannot be parsed with `VALIDATION` (not retried).
enum ImportJobs {
    static let all = [fetch, process, validate, save]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        _ = try ImportOptions(params: params)
    }

    /// `import.fetch`: reads the file; one step per row read (a step per batch above
    /// `detail_limit` rows); fails the job when the file cannot be read or parsed.
    /// Stats: `itemsFetched`.
    static let fetch = BuiltInJobFunction(name: "import.fetch", validate: checkOptions) { run in
        let options = try run.options(ImportOptions.init(params:))
        let (file, rows) = try run.sourceRows(options)
        run.context.logStep("Read \(rows.count) rows from \(file.name)", entity: file.entity)
        let detailed = rows.count <= options.detailLimit
        try await run.forEachBatch(of: rows, size: options.batchSize, verb: "Fetched", gerund: "fetching", noun: "rows") { start, batch in
            guard detailed else {
                if let first = batch.first, let last = batch.last {
                    run.context.logStep("Fetched rows \(start + 1)–\(start + batch.count) (lines \(first.line)–\(last.line))")
                }
                return
            }
            for row in batch {
                let tag = row.fields["tag"].flatMap { $0.isEmpty ? nil : $0.uppercased() }
                run.context.logStep(
                    "Fetched \(tag ?? "a row without a tag") (line \(row.line))",
                    level: .debug,
                    entity: tag.map { EntityReference(tag: $0, type: "Asset") }
                )
            }
        }
        run.context.recordStat("itemsFetched", Int64(rows.count))
        try run.setOutputs(["rows_read": String(rows.count), "file_name": file.name])
        if let upload = file.upload {
            try run.setOutputs(["file_id": upload.id, "sha256": upload.sha256])
        }
    }

    /// `import.process`: turns rows into asset drafts, `batch_size` rows at a time (progress
    /// and a cancellation check per batch); malformed rows become ERROR steps with their line,
    /// the first `max_problem_steps` of them, then one step counting the rest. Stats:
    /// `itemsProcessed`, `itemsFailed`.
    static let process = BuiltInJobFunction(name: "import.process", validate: checkOptions) { run in
        let options = try run.options(ImportOptions.init(params:))
        let fetched = try run.sourceRows(options).rows
        var ready: [ImportedRow] = []
        var skipped = 0
        var problemSteps = ProblemSteps(limit: options.maxProblemSteps, context: run.context)
        try await run.forEachBatch(of: fetched, size: options.batchSize, verb: "Processed", gerund: "processing", noun: "rows") { _, batch in
            let result = ImportProcessing.process(batch)
            ready += result.rows
            skipped += result.problems.count
            problemSteps.log(result.problems)
        }
        problemSteps.finish()
        run.context.logStep("Processed \(fetched.count) rows: \(ready.count) ready, \(skipped) skipped")
        run.context.recordStat("itemsProcessed", Int64(ready.count))
        run.context.recordStat("itemsFailed", Int64(skipped))
        try run.setOutputs(["rows_ready": String(ready.count), "rows_skipped": String(skipped)])
    }

    /// `import.validate`: checks the drafts (see ``ImportValidation``), `batch_size` at a time
    /// (progress and a cancellation check per batch), then their links; rejected rows become
    /// ERROR steps, dropped links WARN steps, with their line, sorted by line: the first
    /// `max_problem_steps` of them, then one step counting the rest. Stats: `itemsValid`,
    /// `itemsFailed`.
    static let validate = BuiltInJobFunction(name: "import.validate", validate: checkOptions) { run in
        let options = try run.options(ImportOptions.init(params:))
        let processed = try run.processedRows(options)
        var validation = ImportValidation()
        try await run.forEachBatch(of: processed, size: options.batchSize, verb: "Validated", gerund: "validating", noun: "assets") { _, batch in
            validation.check(batch)
        }
        let rejected = validation.rejections.count
        let result = validation.finish(existingTag: { run.assets.asset(tag: $0) != nil })
        run.logProblems(result.problems, limit: options.maxProblemSteps)
        run.context.logStep("Validated \(processed.count) assets: \(result.rows.count) valid, \(rejected) rejected")
        run.context.recordStat("itemsValid", Int64(result.rows.count))
        run.context.recordStat("itemsFailed", Int64(rejected))
        try run.setOutputs(["assets_valid": String(result.rows.count), "assets_rejected": String(rejected)])
    }

    /// `import.save`: creates or updates each valid asset in the registry by tag, logging
    /// "Created Pump P-101" / "Updated …" with the asset's tag, route, id and type, and
    /// "Linked M-101 → P-101" for each new link (above `detail_limit` rows: one step per
    /// batch); each asset is stored in the same commit as the steps that report it. Re-running
    /// it creates nothing twice: unchanged assets count as `itemsUnchanged`. Stats:
    /// `itemsCreated`, `itemsUpdated`, `itemsUnchanged`.
    static let save = BuiltInJobFunction(name: "import.save", validate: checkOptions) { run in
        let options = try run.options(ImportOptions.init(params:))
        let rows = try run.validatedRows(options)
        var counts: [AssetChange: Int64] = [:]
        let detailed = rows.count <= options.detailLimit
        try await run.forEachBatch(of: rows, size: options.batchSize, verb: "Saved", gerund: "saving", noun: "assets") { start, batch in
            var batchCounts: [AssetChange: Int] = [:]
            var batchRecords: [StoredRecord] = []
            for row in batch {
                let write = run.assets.upsert(row.draft, by: run.context.workflowID)
                counts[write.change, default: 0] += 1
                batchCounts[write.change, default: 0] += 1
                if detailed {
                    run.context.logSteps(steps(reporting: write), keeping: write.records)
                } else {
                    batchRecords += write.records
                }
            }
            if !detailed, let first = batch.first, let last = batch.last {
                let step = StepEntry(
                    "Saved assets \(start + 1)–\(start + batch.count) (lines \(first.line)–\(last.line)): "
                        + "\(batchCounts[.created] ?? 0) created, \(batchCounts[.updated] ?? 0) updated, "
                        + "\(batchCounts[.unchanged] ?? 0) unchanged"
                )
                run.context.logSteps([step], keeping: batchRecords)
            }
        }
        run.context.logStep(
            "Saved \(rows.count) assets: \(counts[.created] ?? 0) created, \(counts[.updated] ?? 0) updated, "
                + "\(counts[.unchanged] ?? 0) unchanged"
        )
        run.context.recordStat("itemsCreated", counts[.created] ?? 0)
        run.context.recordStat("itemsUpdated", counts[.updated] ?? 0)
        run.context.recordStat("itemsUnchanged", counts[.unchanged] ?? 0)
        try run.setOutputs([
            "assets_created": String(counts[.created] ?? 0),
            "assets_updated": String(counts[.updated] ?? 0),
            "assets_unchanged": String(counts[.unchanged] ?? 0),
        ])
    }

    /// The steps reporting `write`: what happened to the asset, then each link it gained.
    private static func steps(reporting write: AssetWrite) -> [StepEntry] {
        let asset = write.asset
        var steps = switch write.change {
        case .created: [StepEntry("Created \(asset.type) \(asset.tag)", entity: asset.entity)]
        case .updated: [StepEntry("Updated \(asset.type) \(asset.tag)", entity: asset.entity)]
        case .unchanged: [StepEntry("Unchanged \(asset.type) \(asset.tag)", level: .debug, entity: asset.entity)]
        }
        for target in write.addedLinks {
            steps.append(StepEntry("Linked \(asset.tag) → \(target)", entity: asset.entity))
        }
        return steps
    }
}
