import Foundation
import WorkflowEngine
import WorkflowFiles
import WorkflowModel

/// The job functions of `EXPORT_PACKAGE`: `export.gather`, `export.excel` and `export.pdf`.
/// All take the parameters of ``ExportOptions``.
///
/// Gather stores the registry as it is as the artifact `<package>.json`; Excel and PDF read that
/// snapshot (named by Gather's outputs), so both files show the same assets whatever changes
/// meanwhile, and whichever attempt or restart runs them. Each file is an artifact of the
/// workflow (``ArtifactFileStore``: written whole, then registered with its step in one commit),
/// downloadable with `DownloadArtifact`; with `output_dir`, Excel and PDF also copy their file
/// there, replacing it as a whole (``AtomicFile``). Each job is safe to run again: a new attempt
/// replaces its artifact. A file that cannot be written fails the job with the code `IO`, which
/// is retried. Outputs: Gather `assets`, `snapshot_artifact_id`, `snapshot_sha256`; Excel
/// `xlsx_artifact_id`; PDF `pdf_artifact_id`. The workflow's result: `assets` and the three
/// artifact ids.
enum ExportJobs {
    static let all = [gather, excel, pdf]

    /// The outputs that make an export's result.
    static let resultOutputs = ["assets", "snapshot_artifact_id", "xlsx_artifact_id", "pdf_artifact_id"]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        try ExportOptions(params: params).checkDirectory()
    }

    /// `export.gather`: stores a snapshot of the registry as the artifact `<package>.json` (the
    /// assets, by tag, as JSON). Stats: `itemsProcessed`.
    static let gather = BuiltInJobFunction(name: "export.gather", validate: checkOptions) { run in
        let options = try run.options(ExportOptions.init(params:))
        let assets = run.assets.all()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let snapshot = [UInt8](try encoder.encode(assets))
        let name = options.fileName("json")
        let stored = try store(run) { artifacts throws(FileStoreError) in try artifacts.store(snapshot, workflowID: run.context.workflowID, name: name) }
        let types = Dictionary(grouping: assets, by: \.type).map { "\($0.value.count) \($0.key)" }.sorted()
        run.context.logStep("Gathered \(assets.count) assets\(types.isEmpty ? "" : ": " + types.joined(separator: ", "))")
        let artifact = run.context.recordArtifact(
            name: name, contentType: "application/json", sizeBytes: stored.sizeBytes, sha256: stored.sha256,
            message: "Saved the snapshot \(name): \(assets.count) assets, \(stored.sizeBytes) bytes"
        )
        run.context.recordStat("itemsProcessed", Int64(assets.count))
        try run.setOutputs(["assets": String(assets.count), "snapshot_artifact_id": artifact.id, "snapshot_sha256": stored.sha256])
    }

    /// `export.excel`: writes the artifact `<package>.xlsx`, sheet "Assets", one row per asset
    /// (Tag, ID, Type, Name, Links, Flags, then one column per attribute); attribute columns
    /// whose values are all numbers hold numbers, the rest text; a cell longer than Excel's
    /// 32,767 characters is cut, with a WARN step naming it. Stats: `rowsWritten`,
    /// `bytesWritten`.
    static let excel = BuiltInJobFunction(name: "export.excel", validate: checkOptions) { run in
        let options = try run.options(ExportOptions.init(params:))
        let assets = try snapshot(run, options)
        try run.checkCancellation("before writing the spreadsheet")
        let table = AssetTable(assets)
        let name = options.fileName("xlsx")
        let temporary = run.files.artifacts.temporaryPath()
        let truncated: [String]
        do {
            truncated = try SpreadsheetWriter.write(
                rows: [table.header] + table.rows, numericColumns: table.numericColumns, sheetName: "Assets", to: temporary
            )
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw JobError.io("Cannot write \(name): \(error.localizedDescription)")
        }
        let stored = try store(run) { artifacts throws(FileStoreError) in try artifacts.store(fileAt: temporary, workflowID: run.context.workflowID, name: name) }
        let artifact = run.context.recordArtifact(
            name: name, contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            sizeBytes: stored.sizeBytes, sha256: stored.sha256,
            message: "Wrote \(name): \(assets.count) assets, \(stored.sizeBytes) bytes"
        )
        for cell in truncated {
            run.context.logStep(
                "Cell \(cell) cut to \(SpreadsheetWriter.maxCellLength) characters, the most Excel shows", level: .warn, entity: artifact.entity
            )
        }
        try copy(artifact, to: options.copyPath("xlsx"), run: run)
        run.context.recordStat("rowsWritten", Int64(assets.count))
        run.context.recordStat("bytesWritten", stored.sizeBytes)
        try run.setOutputs(["xlsx_artifact_id": artifact.id])
    }

    /// `export.pdf`: writes the artifact `<package>.pdf`, a report titled "Asset register" with a
    /// summary and one line per asset (tag, type, name, links, flags), attributes below it,
    /// lines wider than the page wrapped (see ``PDFReportWriter``). Stats: `pagesWritten`,
    /// `bytesWritten`.
    static let pdf = BuiltInJobFunction(name: "export.pdf", validate: checkOptions) { run in
        let options = try run.options(ExportOptions.init(params:))
        let assets = try snapshot(run, options)
        try run.checkCancellation("before writing the report")
        let (document, pages) = PDFReportWriter.document(title: "Asset register", lines: reportLines(assets))
        let name = options.fileName("pdf")
        let stored = try store(run) { artifacts throws(FileStoreError) in try artifacts.store([UInt8](document), workflowID: run.context.workflowID, name: name) }
        let artifact = run.context.recordArtifact(
            name: name, contentType: "application/pdf", sizeBytes: stored.sizeBytes, sha256: stored.sha256,
            message: "Wrote \(name): \(assets.count) assets on \(pages) pages"
        )
        try copy(artifact, to: options.copyPath("pdf"), run: run)
        run.context.recordStat("pagesWritten", Int64(pages))
        run.context.recordStat("bytesWritten", stored.sizeBytes)
        try run.setOutputs(["pdf_artifact_id": artifact.id])
    }

    /// The lines of the PDF report.
    static func reportLines(_ assets: [Asset]) -> [String] {
        var lines = ["\(assets.count) assets, \(assets.filter { !$0.flags.isEmpty }.count) flagged", ""]
        for asset in assets {
            var line = "\(asset.tag) | \(asset.type) | \(asset.name)"
            if !asset.links.isEmpty { line += " | links: \(asset.links.joined(separator: ", "))" }
            if !asset.flags.isEmpty { line += " | flags: \(asset.flags.keys.sorted().joined(separator: ", "))" }
            lines.append(line)
            if !asset.attributes.isEmpty {
                lines.append("    " + asset.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            }
        }
        return lines
    }

    /// The assets of Gather's snapshot; the registry as it is now when the job runs without a
    /// Gather before it (a template that declares Excel or PDF alone).
    private static func snapshot(_ run: JobRun, _ options: ExportOptions) throws(JobError) -> [Asset] {
        guard let sha256 = run.context.inputs["snapshot_sha256"] else {
            return run.assets.all()
        }
        let name = options.fileName("json")
        let path = run.files.artifacts.path(workflowID: run.context.workflowID, name: name, sha256: sha256)
        do {
            return try JSONDecoder().decode([Asset].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .io("Cannot read the snapshot \(name) that Gather Data stored: \(error.localizedDescription)")
        }
    }

    /// Runs a write of the artifact store, its failures as retryable I/O errors.
    private static func store(
        _ run: JobRun,
        _ write: (ArtifactFileStore) throws(FileStoreError) -> ArtifactFileStore.StoredFile
    ) throws(JobError) -> ArtifactFileStore.StoredFile {
        do {
            return try write(run.files.artifacts)
        } catch {
            throw .io(error.message)
        }
    }

    /// Copies `artifact`'s file to `path` (the `output_dir` copy), replacing it as a whole, and
    /// logs a step; nothing when `path` is `nil`.
    private static func copy(_ artifact: Artifact, to path: String?, run: JobRun) throws(JobError) {
        guard let path else { return }
        do {
            let contents = try Data(contentsOf: URL(fileURLWithPath: run.files.artifacts.path(of: artifact)))
            try AtomicFile.replace(at: path, with: contents)
        } catch {
            throw .io("Cannot write \(path): \(error.localizedDescription)")
        }
        run.context.logStep("Copied \(artifact.name) to \(path)", entity: EntityReference(tag: artifact.name, route: path, type: "File"))
    }
}
