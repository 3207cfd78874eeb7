import Foundation
import WorkflowEngine
import WorkflowModel

/// The job functions of `IMPORT_ASSETS`: `import.fetch`, `import.process`, `import.validate`
/// and `import.save`. All take the parameters of ``ImportOptions``.
enum ImportJobs {
    static let all = [fetch, process, validate, save]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        _ = try ImportOptions(params: params)
    }

    /// `import.fetch`: reads the file; one step per row read (a step per batch above
    /// `detail_limit` rows); fails the job when the file cannot be read or parsed.
    /// Stats: `itemsFetched`.
    static let fetch = BuiltInJobFunction(name: "import.fetch", validate: checkOptions) { run in
        let options = try ImportOptions(params: run.params)
        let rows = try AssetFileReader.rows(path: options.filePath, format: options.format)
        run.updateScratch { $0 = ScratchState(); $0.fetchedRows = rows }
        let fileName = URL(fileURLWithPath: options.filePath).lastPathComponent
        let file = EntityReference(tag: fileName, route: options.filePath, type: "File")
        run.context.logStep("Read \(rows.count) rows from \(fileName)", entity: file)
        try forEachBatch(of: rows, options: options, run: run, verb: "Fetched") { row in
            let tag = row.fields["tag"].flatMap { $0.isEmpty ? nil : $0.uppercased() }
            run.context.logStep(
                "Fetched \(tag ?? "a row without a tag") (line \(row.line))",
                level: .debug,
                entity: tag.map { EntityReference(tag: $0, type: "Asset") }
            )
        }
        run.context.recordStat("itemsFetched", Int64(rows.count))
    }

    /// `import.process`: turns rows into asset drafts; malformed rows become ERROR steps with
    /// their line. Stats: `itemsProcessed`, `itemsFailed`.
    static let process = BuiltInJobFunction(name: "import.process", validate: checkOptions) { run in
        let options = try ImportOptions(params: run.params)
        let fetched = try run.fetchedRows(options)
        try run.checkCancellation("before processing")
        let result = ImportProcessing.process(fetched)
        run.updateScratch { $0.processedRows = result.rows; $0.validatedRows = nil }
        run.logProblems(result.problems)
        run.context.logStep("Processed \(fetched.count) rows: \(result.rows.count) ready, \(result.problems.count) skipped")
        try run.context.updateProgress(1, message: "Processed \(fetched.count)/\(fetched.count) rows")
        run.context.recordStat("itemsProcessed", Int64(result.rows.count))
        run.context.recordStat("itemsFailed", Int64(result.problems.count))
    }

    /// `import.validate`: checks the drafts (see ``ImportValidation``); rejected rows become
    /// ERROR steps, dropped links WARN steps, with their line. Stats: `itemsValid`, `itemsFailed`.
    static let validate = BuiltInJobFunction(name: "import.validate", validate: checkOptions) { run in
        let options = try ImportOptions(params: run.params)
        let processed = try run.processedRows(options)
        try run.checkCancellation("before validating")
        let result = ImportValidation.validate(processed, existingTag: { run.assets.asset(tag: $0) != nil })
        run.updateScratch { $0.validatedRows = result.rows }
        run.logProblems(result.problems)
        let rejected = result.problems.filter { $0.level == .error }.count
        run.context.logStep("Validated \(processed.count) assets: \(result.rows.count) valid, \(rejected) rejected")
        try run.context.updateProgress(1, message: "Validated \(processed.count)/\(processed.count) assets")
        run.context.recordStat("itemsValid", Int64(result.rows.count))
        run.context.recordStat("itemsFailed", Int64(rejected))
    }

    /// `import.save`: creates or updates each valid asset in the registry by tag, logging
    /// "Created Pump P-101" / "Updated …" with the asset's tag, route, id and type, and
    /// "Linked M-101 → P-101" for each new link (above `detail_limit` rows: one step per
    /// batch). Re-running it creates nothing twice: unchanged assets count as
    /// `itemsUnchanged`. Stats: `itemsCreated`, `itemsUpdated`, `itemsUnchanged`.
    static let save = BuiltInJobFunction(name: "import.save", validate: checkOptions) { run in
        let options = try ImportOptions(params: run.params)
        let rows = try run.validatedRows(options)
        var counts: [AssetChange: Int64] = [:]
        var batchCounts: [AssetChange: Int] = [:]
        let detailed = rows.count <= options.detailLimit
        for (batchStart, batch) in rows.batches(of: options.batchSize) {
            try run.checkCancellation("after saving \(batchStart) of \(rows.count) assets")
            batchCounts = [:]
            for row in batch {
                let write = run.assets.upsert(row.draft)
                counts[write.change, default: 0] += 1
                batchCounts[write.change, default: 0] += 1
                guard detailed else { continue }
                logWrite(write, line: row.line, context: run.context)
            }
            let done = batchStart + batch.count
            if !detailed, let first = batch.first, let last = batch.last {
                run.context.logStep(
                    "Saved assets \(batchStart + 1)–\(done) (lines \(first.line)–\(last.line)): "
                        + "\(batchCounts[.created] ?? 0) created, \(batchCounts[.updated] ?? 0) updated, "
                        + "\(batchCounts[.unchanged] ?? 0) unchanged"
                )
            }
            try run.context.updateProgress(Double(done) / Double(rows.count), message: "Saved \(done)/\(rows.count) assets")
        }
        run.context.logStep(
            "Saved \(rows.count) assets: \(counts[.created] ?? 0) created, \(counts[.updated] ?? 0) updated, "
                + "\(counts[.unchanged] ?? 0) unchanged"
        )
        run.context.recordStat("itemsCreated", counts[.created] ?? 0)
        run.context.recordStat("itemsUpdated", counts[.updated] ?? 0)
        run.context.recordStat("itemsUnchanged", counts[.unchanged] ?? 0)
    }

    private static func logWrite(_ write: AssetWrite, line: Int, context: JobContext) {
        let asset = write.asset
        switch write.change {
        case .created:
            context.logStep("Created \(asset.type) \(asset.tag)", entity: asset.entity)
        case .updated:
            context.logStep("Updated \(asset.type) \(asset.tag)", entity: asset.entity)
        case .unchanged:
            context.logStep("Unchanged \(asset.type) \(asset.tag)", level: .debug, entity: asset.entity)
        }
        for target in write.addedLinks {
            context.logStep("Linked \(asset.tag) → \(target)", entity: asset.entity)
        }
    }

    /// Calls `body` for each row when there are at most `detail_limit` rows, else logs one
    /// step per batch; reports progress and checks for cancellation after each batch.
    private static func forEachBatch(
        of rows: [SourceRow],
        options: ImportOptions,
        run: JobRun,
        verb: String,
        _ body: (SourceRow) -> Void
    ) throws {
        let detailed = rows.count <= options.detailLimit
        for (batchStart, batch) in rows.batches(of: options.batchSize) {
            try run.checkCancellation("after \(batchStart) of \(rows.count) rows")
            if detailed {
                batch.forEach(body)
            } else if let first = batch.first, let last = batch.last {
                run.context.logStep("\(verb) rows \(batchStart + 1)–\(batchStart + batch.count) (lines \(first.line)–\(last.line))")
            }
            let done = batchStart + batch.count
            try run.context.updateProgress(Double(done) / Double(rows.count), message: "\(verb) \(done)/\(rows.count) rows")
        }
    }
}
