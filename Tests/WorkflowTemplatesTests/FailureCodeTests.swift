import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("Which failures are retried")
struct FailureCodeTests {
    @Test("Invalid import files fail Fetch once with VALIDATION", arguments: [
        ("broken.csv", "tag,type\nP-1,Pump\nP-2,\"never closed\n", "line 3: a quoted field is never closed"),
        ("empty.csv", "", "the file is empty (expected a header row with tag and type)"),
        ("no-type.csv", "tag,name\nP-1,Pump\n", "line 1: the header has no \"type\" column"),
        ("object.json", "{\"tag\": \"P-1\"}", "expected a top-level array of asset objects"),
        ("latin1.csv", "tag,type,name\nP-1,Pump,K\u{FC}hler\n", "not UTF-8 text"),
    ])
    func invalidFilesAreNotRetried(name: String, content: String, reason: String) async throws {
        let path = try TemplateTesting.temporaryDirectory() + "/" + name
        let data = name == "latin1.csv" ? try #require(content.data(using: .isoLatin1)) : Data(content.utf8)
        try data.write(to: URL(fileURLWithPath: path))
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": path])

        #expect(workflow.status == .failed)
        #expect(workflow.error == "Cannot parse \(path): \(reason)")
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["VALIDATION"], "the product policy gives 3 attempts")
    }

    @Test("A rules file with a bad line or not in UTF-8 fails Load Rules once with VALIDATION")
    func invalidRulesAreNotRetried() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        try "a = require-everything\n".write(toFile: directory + "/bad.conf", atomically: true, encoding: .utf8)
        try Data([0x61, 0x20, 0x3D, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: directory + "/binary.conf"))
        let testing = try TemplateTesting()

        let bad = try await testing.run("RULE_EXECUTION", ["rules_path": directory + "/bad.conf"])
        #expect(bad.error?.hasPrefix("Cannot load rules: \(directory)/bad.conf:1: unknown rule kind") == true)
        #expect(bad.jobs[0].failedAttempts.map(\.errorCode) == ["VALIDATION"])

        let binary = try await testing.run("RULE_EXECUTION", ["rules_path": directory + "/binary.conf"])
        #expect(binary.error == "Cannot load rules: \(directory)/binary.conf: not UTF-8 text")
        #expect(binary.jobs[0].failedAttempts.map(\.errorCode) == ["VALIDATION"])
    }

    @Test("A rules file that cannot be read is retried with IO")
    func unreadableRulesAreRetried() async throws {
        let testing = try TemplateTesting(configuration: """
            [CHECK] retries=1 backoff=10ms
            Load Rules = rules.load rules_path=/nonexistent/rules.conf
            """)
        let workflow = try await testing.run("CHECK", [:])

        #expect(workflow.status == .failed)
        #expect(workflow.error?.hasPrefix("Cannot load rules: /nonexistent/rules.conf: cannot read the file") == true)
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["IO", "IO"])
    }

    @Test("An import file that appears after a failed attempt is read by the next one")
    func missingFileIsTransient() async throws {
        let path = try TemplateTesting.temporaryDirectory() + "/late.csv"
        let testing = try TemplateTesting(configuration: """
            [LATE_IMPORT] retries=50 backoff=50ms max_backoff=50ms
            Fetch = import.fetch
            Save = import.save
            """)
        let started = try await testing.engine.start(WorkflowRequest(type: "LATE_IMPORT", params: ["file_path": path])).value
        _ = try await testing.waitUntil(started.id) { !$0.jobs[0].failedAttempts.isEmpty }
        try "tag,type\nP-101,Pump\n".write(toFile: path, atomically: true, encoding: .utf8)
        let workflow = try await testing.waitUntilTerminal(started.id)

        #expect(workflow.status == .completed)
        #expect(!workflow.jobs[0].failedAttempts.isEmpty)
        #expect(workflow.jobs[0].failedAttempts.allSatisfy { $0.errorCode == "IO" && $0.error.hasPrefix("Cannot read \(path)") })
        #expect(testing.environment.assets.asset(tag: "P-101") != nil)
    }

    @Test("A product job run on parameters nobody checked fails once with VALIDATION naming the parameter", arguments: [
        ("IMPORT_ASSETS", "params.file_id: is required (or file_path, a path on the server)"),
        ("RULE_EXECUTION", "params.file_id: is required (or rules_path, a path on the server)"),
    ])
    func missingParameterIsNotRetried(type: String, message: String) async throws {
        let environment = try TemplateEnvironment.temporary()
        let declaration = try #require(ProductTemplates.declarations.first { $0.type == type })
        let testing = try TemplateTesting(
            environment: environment,
            templates: [TemplateTesting.unchecked(declaration, as: "UNCHECKED", environment: environment)]
        )
        let workflow = try await testing.run("UNCHECKED", [:])

        #expect(workflow.status == .failed)
        #expect(workflow.error == message)
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["VALIDATION"])
    }

    @Test("An export file that cannot be written is retried with IO")
    func unwritableExportIsRetried() async throws {
        let environment = try TemplateEnvironment.temporary()
        let configuration = try TemplateConfiguration.parse("""
            [EXPORT_NOWHERE] retries=1 backoff=10ms
            Generate Excel = export.excel
            """, file: "t.conf")
        let testing = try TemplateTesting(
            environment: environment,
            templates: [TemplateTesting.unchecked(configuration.declarations[0], as: "EXPORT_NOWHERE", environment: environment)]
        )
        let workflow = try await testing.run("EXPORT_NOWHERE", ["output_dir": "/nonexistent/exports"])

        #expect(workflow.status == .failed)
        #expect(workflow.error?.hasPrefix("Cannot write /nonexistent/exports/assets.xlsx") == true)
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["IO", "IO"])
    }
}
