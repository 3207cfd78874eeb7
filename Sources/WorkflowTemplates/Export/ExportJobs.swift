import Foundation
import WorkflowEngine
import WorkflowModel

/// The job functions of `EXPORT_PACKAGE`: `export.gather`, `export.excel` and `export.pdf`.
/// All take the parameters of ``ExportOptions``.
///
/// Each is safe to run again: gathering only reads, and each file is replaced as a whole
/// (``AtomicFile``), so an attempt cut off mid-write leaves the previous file, never half of
/// one. A file that cannot be written fails the job with the code `IO`, which is retried.
enum ExportJobs {
    static let all = [gather, excel, pdf]

    private static let checkOptions: @Sendable ([String: String]) throws(EngineError) -> Void = { params throws(EngineError) in
        try ExportOptions(params: params).checkDirectory()
    }

    /// `export.gather`: takes a snapshot of the registry, so both files show the same assets.
    /// Stats: `itemsProcessed`.
    static let gather = BuiltInJobFunction(name: "export.gather", validate: checkOptions) { run in
        _ = try run.options(ExportOptions.init(params:))
        let assets = run.assets.all()
        run.updateScratch { $0.exportedAssets = assets }
        let types = Dictionary(grouping: assets, by: \.type).map { "\($0.value.count) \($0.key)" }.sorted()
        run.context.logStep("Gathered \(assets.count) assets\(types.isEmpty ? "" : ": " + types.joined(separator: ", "))")
        run.context.recordStat("itemsProcessed", Int64(assets.count))
    }

    /// `export.excel`: writes `<output_dir>/<package_name>.xlsx`, sheet "Assets", one row per
    /// asset (Tag, ID, Type, Name, Links, Flags, then one column per attribute); attribute
    /// columns whose values are all numbers hold numbers, the rest text; a cell longer than
    /// Excel's 32,767 characters is cut, with a WARN step naming it. Stats: `rowsWritten`,
    /// `bytesWritten`.
    static let excel = BuiltInJobFunction(name: "export.excel", validate: checkOptions) { run in
        let options = try run.options(ExportOptions.init(params:))
        let assets = snapshot(run)
        try run.checkCancellation("before writing the spreadsheet")
        let table = AssetTable(assets)
        let path = options.path("xlsx")
        let truncated: [String]
        do {
            truncated = try SpreadsheetWriter.write(
                rows: [table.header] + table.rows, numericColumns: table.numericColumns, sheetName: "Assets", to: path
            )
        } catch {
            throw JobError.io("Cannot write \(path): \(error.localizedDescription)")
        }
        for cell in truncated {
            run.context.logStep(
                "Cell \(cell) cut to \(SpreadsheetWriter.maxCellLength) characters, the most Excel shows", level: .warn, entity: file(path)
            )
        }
        let bytes = fileSize(path)
        run.context.logStep("Wrote \(options.packageName).xlsx: \(assets.count) assets, \(bytes) bytes", entity: file(path))
        run.context.recordStat("rowsWritten", Int64(assets.count))
        run.context.recordStat("bytesWritten", bytes)
    }

    /// `export.pdf`: writes `<output_dir>/<package_name>.pdf`, a report titled "Asset register"
    /// with a summary and one line per asset (tag, type, name, links, flags), attributes
    /// below it, lines wider than the page wrapped (see ``PDFReportWriter``). Stats:
    /// `pagesWritten`, `bytesWritten`.
    static let pdf = BuiltInJobFunction(name: "export.pdf", validate: checkOptions) { run in
        let options = try run.options(ExportOptions.init(params:))
        let assets = snapshot(run)
        try run.checkCancellation("before writing the report")
        let lines = reportLines(assets)
        let (document, pages) = PDFReportWriter.document(title: "Asset register", lines: lines)
        let path = options.path("pdf")
        do {
            try AtomicFile.replace(at: path, with: document)
        } catch {
            throw JobError.io("Cannot write \(path): \(error.localizedDescription)")
        }
        run.context.logStep("Wrote \(options.packageName).pdf: \(assets.count) assets on \(pages) pages", entity: file(path))
        run.context.recordStat("pagesWritten", Int64(pages))
        run.context.recordStat("bytesWritten", Int64(document.count))
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

    private static func snapshot(_ run: JobRun) -> [Asset] {
        if let assets = run.scratch(\.exportedAssets) {
            return assets
        }
        let assets = run.assets.all()
        run.updateScratch { $0.exportedAssets = assets }
        return assets
    }

    private static func file(_ path: String) -> EntityReference {
        EntityReference(tag: URL(fileURLWithPath: path).lastPathComponent, route: path, type: "File")
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
