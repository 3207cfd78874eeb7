import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

/// Jobs run at least once: a retry runs a job again on the scratch state its failed attempt
/// left, and a restart after a crash runs an interrupted attempt again with nothing in memory.
@Suite("Re-running jobs")
struct RerunSafetyTests {
    static let sampleImport = ["file_path": TemplateTesting.sample("assets.csv")]
    static let sampleRules = ["rules_path": TemplateTesting.sample("rules.conf")]

    /// Every built-in function; the coverage test below keeps the list complete.
    static let functions = [
        "import.fetch", "import.process", "import.validate", "import.save", "rules.load", "rules.execute", "rules.apply",
        "export.gather", "export.excel", "export.pdf", "wait", "fail",
    ]

    /// The registry after a clean import of the sample file, and a clean rules run if `rules`.
    static func reference(rules: Bool) async throws -> [String] {
        let testing = try TemplateTesting()
        _ = try await testing.run("IMPORT_ASSETS", sampleImport)
        if rules {
            _ = try await testing.run("RULE_EXECUTION", sampleRules)
        }
        return TemplateTesting.contents(of: testing.environment.assets)
    }

    @Test("The table of functions covers the catalog")
    func everyFunctionIsCovered() {
        #expect(Set(Self.functions) == Set(JobCatalog.builtIn.names))
    }

    @Test("Every built-in function runs alone with nothing in memory, then again with the same result", arguments: functions)
    func runsAloneAndAgain(function: String) async throws {
        let testing = try TemplateTesting(configuration: "[ALONE] retries=0\nJob = \(function)\n")
        _ = try await testing.run("IMPORT_ASSETS", Self.sampleImport)
        var params = Self.sampleImport.merging(Self.sampleRules) { first, _ in first }
        params["output_dir"] = try TemplateTesting.temporaryDirectory()
        params["wait_ms"] = "1"

        let first = try await testing.run("ALONE", params)
        let afterFirst = TemplateTesting.contents(of: testing.environment.assets)
        let second = try await testing.run("ALONE", params)

        let expected: WorkflowStatus = function == "fail" ? .failed : .completed
        #expect(first.status == expected, "\(first.error ?? "")")
        #expect(second.status == expected, "\(second.error ?? "")")
        #expect(TemplateTesting.contents(of: testing.environment.assets) == afterFirst, "the second run changed the registry")
        #expect(second.counter("itemsCreated") == 0)
        #expect(second.counter("itemsUpdated") == 0)
    }

    @Test("Save run alone after a partial save (a crash mid-attempt) creates only what is missing")
    func saveAfterPartialSave() async throws {
        let reference = try TemplateTesting()
        _ = try await reference.run("IMPORT_ASSETS", Self.sampleImport)
        let testing = try TemplateTesting(configuration: "[SAVE] retries=0\nSave to Database = import.save\n")
        // What the interrupted attempt saved: the first four assets.
        for asset in reference.environment.assets.all().prefix(4) {
            testing.environment.assets.upsert(
                AssetDraft(tag: asset.tag, type: asset.type, name: asset.name, attributes: asset.attributes, links: asset.links), by: "wf-test"
            )
        }

        let save = try await testing.run("SAVE", Self.sampleImport)
        #expect(save.status == .completed)
        #expect(save.counter("itemsCreated") == 6)
        #expect(save.counter("itemsUnchanged") == 4)
        #expect(TemplateTesting.contents(of: testing.environment.assets) == TemplateTesting.contents(of: reference.environment.assets))

        let again = try await testing.run("SAVE", Self.sampleImport)
        #expect(again.counter("itemsCreated") == 0)
        #expect(again.counter("itemsUnchanged") == 10)
        #expect(testing.environment.assets.count == 10)
    }

    @Test("Apply run again on the outcomes it already applied (a retry keeps the scratch state) changes nothing twice")
    func applyAgainOnStoredOutcomes() async throws {
        let testing = try TemplateTesting(configuration: """
            [APPLY_TWICE] retries=0
            Execute Rules = rules.execute
            Apply Results = rules.apply
            Apply Again   = rules.apply
            """)
        _ = try await testing.run("IMPORT_ASSETS", Self.sampleImport)
        let workflow = try await testing.run("APPLY_TWICE", Self.sampleRules)

        #expect(workflow.status == .completed)
        #expect(workflow.jobs[1].stats.counters["itemsCreated"] == 2)
        #expect(workflow.jobs[1].stats.counters["itemsUpdated"] == 3)
        #expect(workflow.jobs[2].stats.counters["itemsCreated"] == 0)
        #expect(workflow.jobs[2].stats.counters["itemsUpdated"] == 0)
        #expect(TemplateTesting.contents(of: testing.environment.assets) == (try await Self.reference(rules: true)))
    }

    @Test("Apply run alone after a partial apply (a crash mid-attempt) finishes the work without doing any twice")
    func applyAfterPartialApply() async throws {
        let testing = try TemplateTesting(configuration: "[APPLY] retries=0\nApply Results = rules.apply\n")
        _ = try await testing.run("IMPORT_ASSETS", Self.sampleImport)
        let registry = testing.environment.assets
        let rulesPath = TemplateTesting.sample("rules.conf")
        let rules = try RuleFile.parse(String(contentsOfFile: rulesPath, encoding: .utf8), file: rulesPath)
        // What the interrupted attempt got done: the first flag and the first cable.
        for outcome in RuleEvaluation.evaluate(rules, over: registry.all()) {
            if case .violation(let rule, let tag, let message) = outcome, registry.all().allSatisfy({ $0.flags.isEmpty }) {
                #expect(registry.setFlag(rule, message: message, onTag: tag, by: "wf-test") != nil)
            }
            if case .missingCable(let rule, let from, let to, let prefix) = outcome, registry.asset(tag: prefix + "001") == nil {
                _ = registry.createNumbered(prefix: prefix, by: "wf-test", unless: { _ in false }) { tag in
                    AssetDraft(
                        tag: tag, type: "Cable", name: "Cable \(from) → \(to)",
                        attributes: ["from": from, "to": to, "generated_by": rule], links: [from, to]
                    )
                }
            }
        }

        let workflow = try await testing.run("APPLY", Self.sampleRules)
        #expect(workflow.status == .completed)
        #expect(workflow.counter("itemsCreated") == 1)
        #expect(workflow.counter("itemsUpdated") == 2)
        #expect(TemplateTesting.contents(of: registry) == (try await Self.reference(rules: true)))
    }

    @Test("Excel and PDF replace their files whole, alone and again, and leave nothing else in the directory")
    func exportsReplaceTheirFiles() async throws {
        let testing = try TemplateTesting(configuration: """
            [FILES] retries=0
            Generate Excel       = export.excel
            Generate PDF         = export.pdf
            Generate Excel Again = export.excel
            Generate PDF Again   = export.pdf
            """)
        _ = try await testing.run("IMPORT_ASSETS", Self.sampleImport)
        let directory = try TemplateTesting.temporaryDirectory()
        // What a writer that is not atomic leaves when it is cut off mid-write.
        try Data("PK\u{3}\u{4} half".utf8).write(to: URL(fileURLWithPath: directory + "/assets.xlsx"))
        try Data("%PDF-1.4 half".utf8).write(to: URL(fileURLWithPath: directory + "/assets.pdf"))

        let workflow = try await testing.run("FILES", ["output_dir": directory])

        #expect(workflow.status == .completed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["assets.pdf", "assets.xlsx"])
        try PDFStructure.checkCrossReferences(try Data(contentsOf: URL(fileURLWithPath: directory + "/assets.pdf")))
        let check = try PythonTool.run("""
            import openpyxl, sys
            print(openpyxl.load_workbook(sys.argv[1]).active.max_row)
            """, arguments: [directory + "/assets.xlsx"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "11")
    }

    @Test("A write cut off midway leaves the old file whole and no temporary file")
    func atomicFileKeepsTheOldFile() throws {
        struct CutOff: Error {}
        let directory = try TemplateTesting.temporaryDirectory()
        let path = directory + "/assets.pdf"
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))

        #expect(throws: CutOff.self) {
            try AtomicFile.replace(at: path) { url in
                try Data("the first half of the new".utf8).write(to: url)
                throw CutOff()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["assets.pdf"])

        try AtomicFile.replace(at: path, with: Data("new".utf8))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["assets.pdf"])
    }
}
