import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("EXPORT_PACKAGE")
struct ExportPackageTests {
    @Test("The package holds a spreadsheet and a PDF of the registry that real readers open")
    func exportAfterImport() async throws {
        let testing = try TemplateTesting()
        _ = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        let directory = try TemplateTesting.temporaryDirectory()
        let workflow = try await testing.run("EXPORT_PACKAGE", ["output_dir": directory, "package_name": "plant"])

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Gather Data", "Generate Excel", "Generate PDF"])
        #expect(workflow.counter("rowsWritten") == 10)
        let excelStep = try #require(workflow.jobs[1].steps.last)
        #expect(excelStep.entity?.route == directory + "/plant.xlsx")

        let pdf = try Data(contentsOf: URL(fileURLWithPath: directory + "/plant.pdf"))
        try PDFStructure.checkCrossReferences(pdf)
        if let info = try TemplateTesting.runTool("pdfinfo", [directory + "/plant.pdf"]) {
            #expect(info.status == 0, "\(info.output)")
            #expect(info.output.split(separator: "\n").contains { $0.split(separator: " ") == ["Pages:", "1"] })
        }
        if let text = try TemplateTesting.runTool("pdftotext", ["-layout", directory + "/plant.pdf", "-"]) {
            #expect(text.output.contains("Asset register"))
            #expect(text.output.contains("M-101 | Motor | Motor for P-101 | links: P-101"))
        }

        let xlsx = directory + "/plant.xlsx"
        if let python = PythonTool.interpreter(), let check = try PythonTool.run(python, """
            import openpyxl, sys
            sheet = openpyxl.load_workbook(sys.argv[1]).active
            rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
            print(sheet.title, len(rows), rows[0][:6], [r[0] for r in rows[1:]])
            print([r for r in rows if r[0] == "M-101"][0])
            """, arguments: [xlsx]) {
            #expect(check.status == 0, "\(check.output)")
            #expect(check.output.contains("Assets 11 ['Tag', 'ID', 'Type', 'Name', 'Links', 'Flags']"))
            #expect(check.output.contains("'M-101', '4', 'Motor', 'Motor for P-101', 'P-101', '', '', 'Area 100', '15'"))
        }
    }

    @Test("A long registry gives a multi-page PDF")
    func multiPage() throws {
        let assets = (1...200).map { Asset(id: "\($0)", tag: "P-\($0)", type: "Pump", name: "Pump (\($0)) \\ →") }
        let lines = ExportJobs.reportLines(assets)
        let pdf = PDFReportWriter.document(title: "Asset register", lines: lines)
        try PDFStructure.checkCrossReferences(pdf)
        let path = try TemplateTesting.temporaryDirectory() + "/long.pdf"
        try pdf.write(to: URL(fileURLWithPath: path))
        if let info = try TemplateTesting.runTool("pdfinfo", [path]) {
            #expect(info.output.split(separator: "\n").contains { $0.split(separator: " ") == ["Pages:", "4"] })
        }
        if let text = try TemplateTesting.runTool("pdftotext", [path, "-"]) {
            #expect(text.output.contains("P-200 | Pump | Pump (200) \\ ->"))
            #expect(text.output.contains("Page 4 of 4"))
        }
    }

    @Test("Spreadsheet column names run A…Z, AA…")
    func columnNames() {
        #expect([0, 25, 26, 27, 701, 702].map(SpreadsheetWriter.columnName) == ["A", "Z", "AA", "AB", "ZZ", "AAA"])
    }

    @Test("A missing or nonexistent output directory is refused up front", arguments: [
        ([:], "params.output_dir: is required"),
        (["output_dir": "/nonexistent/dir"], "params.output_dir: \"/nonexistent/dir\" is not an existing directory"),
        (["output_dir": "/tmp", "package_name": "../x"], "params.package_name: must be 1–100 letters, digits, '.', '_' or '-' not starting with '.' or '-', got \"../x\""),
    ])
    func badParameters(params: [String: String], message: String) async throws {
        let testing = try TemplateTesting()
        do {
            _ = try await testing.engine.start(WorkflowRequest(type: "EXPORT_PACKAGE", params: params))
            Issue.record("EXPORT_PACKAGE started with \(params)")
        } catch {
            #expect(error.message == message)
        }
    }
}
