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
        #expect(try TemplateTesting.pdfPageCount(directory + "/plant.pdf") == 1)
        #expect(workflow.counter("pagesWritten") == 1)
        let text = try TemplateTesting.runTool("pdftotext", ["-layout", directory + "/plant.pdf", "-"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Asset register"))
        #expect(text.output.contains("M-101 | Motor | Motor for P-101 | links: P-101"))
        #expect(text.output.contains("T-401 | Tank | Kühler buffer tank"))

        let check = try PythonTool.run("""
            import openpyxl, sys
            sheet = openpyxl.load_workbook(sys.argv[1]).active
            rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
            print(sheet.title, len(rows), rows[0])
            print([r for r in rows if r[0] == "M-101"][0])
            print([r for r in rows if r[0] == "T-401"][0])
            """, arguments: [directory + "/plant.xlsx"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("Assets 11 ['Tag', 'ID', 'Type', 'Name', 'Links', 'Flags', 'flow_m3h', 'location', 'power_kw']"))
        #expect(check.output.contains("['M-101', '4', 'Motor', 'Motor for P-101', 'P-101', '', '', 'Area 100', 15]"), "power_kw is a number")
        #expect(check.output.contains("'Kühler buffer tank'"))
    }

    @Test("A long registry gives a multi-page PDF")
    func multiPage() throws {
        let assets = (1...200).map { Asset(id: "\($0)", tag: "P-\($0)", type: "Pump", name: "Pump (\($0)) \\ →") }
        let lines = ExportJobs.reportLines(assets)
        let (pdf, pages) = PDFReportWriter.document(title: "Asset register", lines: lines)
        try PDFStructure.checkCrossReferences(pdf)
        #expect(pages == 4)
        let path = try TemplateTesting.temporaryDirectory() + "/long.pdf"
        try pdf.write(to: URL(fileURLWithPath: path))
        #expect(try TemplateTesting.pdfPageCount(path) == 4)
        let text = try TemplateTesting.runTool("pdftotext", [path, "-"])
        #expect(text.output.contains("P-200 | Pump | Pump (200) \\ ->"))
        #expect(text.output.contains("Page 4 of 4"))
    }

    @Test("WinAnsi characters reach the PDF as themselves, others as ?; the header marks the file binary")
    func pdfCharacters() throws {
        let (pdf, _) = PDFReportWriter.document(title: "Anlagen – Übersicht", lines: [
            "K-1 | Kühler | naïve café, 5 € … “quoted” — Œuvre ±2 °C",
            "snow ☃ and 中文 → done",
        ])
        #expect(Array(pdf.prefix(15)) == Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A])
        try PDFStructure.checkCrossReferences(pdf)
        let path = try TemplateTesting.temporaryDirectory() + "/chars.pdf"
        try pdf.write(to: URL(fileURLWithPath: path))
        let text = try TemplateTesting.runTool("pdftotext", ["-enc", "UTF-8", path, "-"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Anlagen – Übersicht"))
        #expect(text.output.contains("K-1 | Kühler | naïve café, 5 € … “quoted” — Œuvre ±2 °C"))
        #expect(text.output.contains("snow ? and ?? -> done"))
    }

    @Test("Lines wider than the page wrap inside the margins and lose no text")
    func pdfWrapsLongLines() throws {
        let words = (1...80).map { "word\($0)" }
        let longWord = String(repeating: "W", count: 150)
        let lines = ["short", words.joined(separator: " "), "    " + longWord, "Kühler " + String(repeating: "Ä", count: 120)]
        let (pdf, pages) = PDFReportWriter.document(title: "Wrapping", lines: lines)
        #expect(pages == 1)
        let path = try TemplateTesting.temporaryDirectory() + "/wide.pdf"
        try pdf.write(to: URL(fileURLWithPath: path))

        let boxes = try TemplateTesting.runTool("pdftotext", ["-bbox", path, "-"])
        #expect(boxes.status == 0, "\(boxes.output)")
        let xMaxima = boxes.output.matches(of: /xMax="([0-9.]+)"/).compactMap { Double($0.1) }
        #expect(xMaxima.count > 80)
        #expect(xMaxima.allSatisfy { $0 <= 612 - 50 + 0.5 }, "rightmost word ends at \(xMaxima.max() ?? 0)")

        let text = try TemplateTesting.runTool("pdftotext", ["-enc", "UTF-8", path, "-"]).output
        let allWords = text.split(whereSeparator: \.isWhitespace)
        for word in words {
            #expect(allWords.contains(Substring(word)), "\(word) is lost")
        }
        #expect(allWords.filter { $0.allSatisfy { $0 == "W" } }.joined() == longWord)
        #expect(allWords.filter { $0.allSatisfy { $0 == "Ä" } }.joined().count == 120)
        #expect(text.contains("Kühler"))
    }

    @Test("The glyph widths used for wrapping are Helvetica's, as poppler measures them")
    func helveticaWidths() throws {
        let scalars = (0x21...0x7E).map { Unicode.Scalar($0)! } + (0xA1...0xFF).filter { $0 != 0xAD }.map { Unicode.Scalar($0)! }
            + "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".unicodeScalars
        let words = scalars.map { String(repeating: String($0), count: 10) }
        let (pdf, _) = PDFReportWriter.document(title: "Widths", lines: words)
        let path = try TemplateTesting.temporaryDirectory() + "/widths.pdf"
        try pdf.write(to: URL(fileURLWithPath: path))
        let boxes = try TemplateTesting.runTool("pdftotext", ["-enc", "UTF-8", "-bbox", path, "-"])
        var measured: [String: Double] = [:]
        for match in boxes.output.matches(of: /xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</) {
            let text = String(match.3).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&")
            measured[text] = (Double(match.2) ?? 0) - (Double(match.1) ?? 0)
        }
        for word in words {
            let width = try #require(measured[word], "pdftotext did not find \(word)")
            #expect(abs(width - PDFReportWriter.width(PDFReportWriter.encode(word), fontSize: 9)) < 0.05, "\(word)")
        }
    }

    @Test("Numeric attribute columns are numbers in the spreadsheet; a cell beyond 32,767 characters is cut")
    func spreadsheetCells() throws {
        let note = String(repeating: "x", count: 32_765) + "🚀" + String(repeating: "y", count: 10_000)
        let assets = [
            Asset(id: "1", tag: "M-1", type: "Motor", name: "A", attributes: ["power_kw": "15", "serial": "0042", "note": note]),
            Asset(id: "2", tag: "M-2", type: "Motor", name: "B", attributes: ["power_kw": "7.5", "serial": "17", "flow_m3h": "-3"]),
            Asset(id: "3", tag: "M-3", type: "Motor", name: "C", attributes: ["flow_m3h": "1.50"]),
        ]
        let table = AssetTable(assets)
        #expect(table.header == ["Tag", "ID", "Type", "Name", "Links", "Flags", "flow_m3h", "note", "power_kw", "serial"])
        #expect(table.numericColumns == [8])
        let path = try TemplateTesting.temporaryDirectory() + "/cells.xlsx"
        let truncated = try SpreadsheetWriter.write(
            rows: [table.header] + table.rows, numericColumns: table.numericColumns, sheetName: "Assets", to: path
        )
        #expect(truncated == ["H2"])

        let check = try PythonTool.run("""
            import openpyxl, sys
            sheet = openpyxl.load_workbook(sys.argv[1]).active
            rows = list(sheet.iter_rows(values_only=True))
            for column in (8, 9, 6, 1):
                print("|".join(repr(row[column]) for row in rows[1:]))
            note = rows[1][7]
            print(len(note.encode("utf-16-le")) // 2, repr(note[-3:]))
            """, arguments: [path])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.hasPrefix("15|7.5|None\n'0042'|'17'|None\nNone|'-3'|'1.50'\n'1'|'2'|'3'\n"), "\(check.output)")
        #expect(check.output.contains("32766 'xx…'"), "the emoji would pass the limit, so the cut comes before it: \(check.output)")
    }

    @Test("Spreadsheet column names run A…Z, AA…")
    func columnNames() {
        #expect([0, 25, 26, 27, 701, 702].map(SpreadsheetWriter.columnName) == ["A", "Z", "AA", "AB", "ZZ", "AAA"])
    }

    @Test("Generate Excel names each cell it cut to Excel's limit in a WARN step")
    func excelWarnsAboutCutCells() async throws {
        let testing = try TemplateTesting()
        testing.environment.assets.upsert(AssetDraft(
            tag: "P-1", type: "Pump", name: "Long notes", attributes: ["notes": String(repeating: "n", count: 40_000)]
        ), by: "wf-test")
        let directory = try TemplateTesting.temporaryDirectory()
        let workflow = try await testing.run("EXPORT_PACKAGE", ["output_dir": directory])

        #expect(workflow.status == .completed)
        let warnings = workflow.jobs[1].steps.filter { $0.level == .warn }
        #expect(warnings.map(\.message) == ["Cell G2 cut to 32767 characters, the most Excel shows"])
        #expect(warnings.first?.entity?.route == "/api/v1/artifacts/\(workflow.id).assets.xlsx")
    }

    @Test("A nonexistent output directory or a bad package name is refused up front", arguments: [
        (["output_dir": "/nonexistent/dir"], "params.output_dir: \"/nonexistent/dir\" is not an existing directory"),
        (["output_dir": "/tmp", "package_name": "../x"], "params.package_name: must be 1–95 letters, digits, '.', '_' or '-' not starting with '.' or '-', got \"../x\""),
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
