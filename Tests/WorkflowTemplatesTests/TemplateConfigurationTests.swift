import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("Templates configuration")
struct TemplateConfigurationTests {
    @Test("The sample configuration declares its types with their jobs, functions and parameters")
    func sampleConfiguration() throws {
        let configuration = try TemplateConfiguration.load(path: TemplateTesting.sample("templates.conf"))

        #expect(configuration.declarations.map(\.type) == ["IMPORT_AND_CHECK", "NIGHTLY_EXPORT"])
        let importAndCheck = configuration.declarations[0]
        #expect(importAndCheck.jobs.map(\.function) == [
            "import.fetch", "import.process", "import.validate", "import.save", "rules.load", "rules.execute", "rules.apply",
        ])
        var policy = ProductTemplates.retryPolicy
        policy.maxAttempts = 3
        #expect(importAndCheck.jobs[4] == JobDeclaration(
            name: "Load Rules", function: "rules.load", params: ["rules_path": "Samples/rules.conf"],
            retryPolicy: policy, timeout: .seconds(600), line: 13
        ))
        #expect(importAndCheck.jobs[0].retryPolicy.maxAttempts == 5)
        #expect(importAndCheck.jobs[0].timeout == .seconds(30))
        #expect(importAndCheck.jobs[0].params == [:])
        #expect(importAndCheck.deadline == .seconds(3600))
        #expect(configuration.declarations[1].jobs[2].params == ["wait_ms": "50"])
        #expect(configuration.declarations[1].jobs[2].retryPolicy == ProductTemplates.retryPolicy)
        #expect(configuration.declarations[1].deadline == nil)
    }

    @Test("Bad configurations are refused with the line and reason", arguments: [
        ("Fetch = import.fetch", "t.conf:1: job \"Fetch\" comes before any [TYPE] header"),
        ("[A]\nFetch = import.fech", "t.conf:2: unknown job function \"import.fech\"; known: export.excel, export.gather, export.pdf, fail, import.fetch, import.process, import.save, import.validate, rules.apply, rules.execute, rules.load, wait"),
        ("# types\n[lower]\nx = wait", "t.conf:2: type \"lower\" must be UPPER_SNAKE_CASE, e.g. IMPORT_AND_CHECK"),
        ("[A]\nx = wait\n\n[A]\ny = wait", "t.conf:4: type A is already declared on line 1"),
        ("[IMPORT_ASSETS]\nx = wait", "t.conf:1: type IMPORT_ASSETS is built in and cannot be redeclared"),
        ("[A]\n[B]\nx = wait", "t.conf:1: type A declares no jobs"),
        ("[A]\nPause = wait wait_ms=soon", "t.conf:2: job \"Pause\": params.wait_ms: must be an integer from 0 to 600000, got \"soon\""),
        ("[A]\nFetch = import.fetch batch_size=0", "t.conf:2: job \"Fetch\": params.batch_size: must be an integer from 1 to 10000, got \"0\""),
        ("[A]\nFail = fail fail_message=\"never closed", "t.conf:2: unterminated quoted value of \"fail_message\""),
        ("[A]\nPause = wait wait_ms=1 wait_ms=2", "t.conf:2: \"wait_ms\" is given twice"),
        ("[A]\nPause wait", "t.conf:2: expected \"name = function key=value …\" or \"[NAME]\""),
        ("[A]\n = wait", "t.conf:2: missing a name before \"=\""),
        ("[A]\nPause = wait 100", "t.conf:2: expected key=value, got \"100\""),
    ])
    func badConfiguration(text: String, expected: String) throws {
        let reserved = Set(ProductTemplates.standardRegistry(environment: try TemplateEnvironment.temporary()).types)
        do {
            _ = try TemplateConfiguration.parse(text, file: "t.conf", reservedTypes: reserved)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test("A missing file is refused naming it")
    func missingFile() {
        #expect(throws: DeclarationError.self) { try ProductTemplates.registry(environment: TemplateEnvironment.temporary(), configurationFile: "/nonexistent/templates.conf") }
    }

    @Test("Quoted values keep blanks, escapes and equals signs")
    func quotedValues() throws {
        let lines = try DeclarationLine.parse("Report = fail fail_message=\"a \\\"b\\\" = c\\\\d\" \r\n", file: "t.conf")
        #expect(lines == [DeclarationLine(line: 1, content: .entry(name: "Report", head: "fail", arguments: ["fail_message": "a \"b\" = c\\d"]))])
    }

    @Test("A configured type runs its jobs; configured parameters fill in what the request does not give")
    func configuredTypeRuns() async throws {
        let rules = TemplateTesting.sample("rules.conf")
        let testing = try TemplateTesting(configuration: """
            [IMPORT_AND_CHECK] retries=0
            Fetch External Assets = import.fetch file_path="\(TemplateTesting.sample("assets.json"))"
            Process Data = import.process
            Validate = import.validate
            Save to Database = import.save
            Execute Rules = rules.execute rules_path="\(rules)"
            Apply Results = rules.apply
            """)
        let workflow = try await testing.run("IMPORT_AND_CHECK", [:])

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Fetch External Assets", "Process Data", "Validate", "Save to Database", "Execute Rules", "Apply Results"])
        #expect(workflow.counter("itemsCreated") == 4 + 1, "four assets, one cable M-201 → P-201")
        #expect(testing.environment.assets.asset(tag: "C-001")?.links == ["M-201", "P-201"])

        let overridden = try await testing.run("IMPORT_AND_CHECK", ["file_path": "/nonexistent.json"])
        #expect(overridden.status == .failed)
        #expect(overridden.error?.hasPrefix("Cannot read /nonexistent.json") == true)
    }

    @Test("A configured type without a required parameter is refused at start naming it")
    func configuredTypeValidates() async throws {
        let testing = try TemplateTesting(configuration: "[CHECK]\nLoad Rules = rules.load\n")
        do {
            _ = try await testing.engine.start(WorkflowRequest(type: "CHECK"))
            Issue.record("CHECK started without rules_path")
        } catch {
            #expect(error.message == "params.file_id: is required (or rules_path, a path on the server)")
        }
    }

    @Test("A failed workflow keeps its scratch state for a retry; re-running Save creates nothing twice")
    func failedWorkflowKeepsScratch() async throws {
        let testing = try TemplateTesting(configuration: """
            [IMPORT_THEN_FAIL] retries=0
            Fetch = import.fetch
            Save = import.save
            Save Again = import.save
            Report = fail fail_message="stopped on purpose"
            """)
        let workflow = try await testing.run("IMPORT_THEN_FAIL", ["file_path": TemplateTesting.sample("assets.csv")])

        #expect(workflow.status == .failed)
        #expect(workflow.error == "stopped on purpose")
        #expect(workflow.jobs[1].stats.counters["itemsCreated"] == 10)
        #expect(workflow.jobs[2].stats.counters["itemsCreated"] == 0)
        #expect(workflow.jobs[2].stats.counters["itemsUnchanged"] == 10)
    }
}
