import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("RULE_EXECUTION")
struct RuleExecutionTests {
    @Test("The sample rules flag violators and generate a cable per motor → pump link")
    func sampleRules() async throws {
        let testing = try TemplateTesting()
        _ = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        let workflow = try await testing.run("RULE_EXECUTION", ["rules_path": TemplateTesting.sample("rules.conf")])

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Load Rules", "Execute Rules", "Apply Results"])
        #expect(workflow.counter("rulesLoaded") == 4)
        #expect(workflow.counter("violations") == 3)
        #expect(workflow.counter("itemsCreated") == 2)
        #expect(workflow.counter("itemsUpdated") == 3)

        let registry = testing.environment.assets
        #expect(registry.asset(tag: "P-103")?.flags.keys.sorted() == ["pump-flow", "pump-needs-motor"])
        #expect(registry.asset(tag: "XV-2001")?.flags.keys.sorted() == ["tag-format"])
        #expect(registry.asset(tag: "P-101")?.flags == [:])
        let cable = try #require(registry.asset(tag: "C-001"))
        #expect(cable.type == "Cable")
        #expect(cable.links == ["M-101", "P-101"])
        #expect(registry.asset(tag: "C-002")?.links == ["M-102", "P-102"])

        let apply = workflow.jobs[2].steps
        let generated = try #require(apply.first { $0.message == "Generated cable C-001 between M-101 and P-101" })
        #expect(generated.entity == cable.entity)
        #expect(apply.contains { $0.message == "Flagged P-103 (pump-needs-motor): no Motor is linked to P-103" && $0.level == .warn })
    }

    @Test("Execute logs at most max_problem_steps problems, then one step counting the rest")
    func problemStepsAreCapped() async throws {
        let testing = try TemplateTesting()
        _ = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        let workflow = try await testing.run(
            "RULE_EXECUTION", ["rules_path": TemplateTesting.sample("rules.conf"), "max_problem_steps": "1"]
        )

        #expect(workflow.status == .completed)
        #expect(workflow.counter("violations") == 3)
        #expect(workflow.counter("cablesMissing") == 2)
        let execute = workflow.jobs[1].steps
        #expect(execute.count == 3)
        #expect(execute[1].message == "… and 4 more problems not logged as steps (max_problem_steps=1)")
        #expect(execute[1].level == .warn)
    }

    @Test("Running the rules again changes nothing; fixing an asset clears its flag")
    func rerunIsSafe() async throws {
        let testing = try TemplateTesting()
        _ = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        let params = ["rules_path": TemplateTesting.sample("rules.conf")]
        _ = try await testing.run("RULE_EXECUTION", params)
        let again = try await testing.run("RULE_EXECUTION", params)
        #expect(again.counter("itemsCreated") == 0)
        #expect(again.counter("itemsUpdated") == 0)
        #expect(testing.environment.assets.count == 12)

        testing.environment.assets.upsert(AssetDraft(
            tag: "P-103", type: "Pump", name: "Fire water pump", attributes: ["flow_m3h": "60"]
        ), by: "wf-test")
        let fixed = try await testing.run("RULE_EXECUTION", params)
        #expect(fixed.jobs[2].steps.contains { $0.message == "Cleared flag pump-flow on P-103" })
        #expect(testing.environment.assets.asset(tag: "P-103")?.flags.keys.sorted() == ["pump-needs-motor"])
    }

    @Test("A bad rules file fails Load Rules with the line and reason")
    func badRulesFile() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        let path = directory + "/rules.conf"
        try "ok = require-link type=Pump from=Motor\n\nbad = require-everything type=Pump\n".write(toFile: path, atomically: true, encoding: .utf8)
        let testing = try TemplateTesting()
        let workflow = try await testing.run("RULE_EXECUTION", ["rules_path": path])

        #expect(workflow.status == .failed)
        #expect(workflow.failedJobName == "Load Rules")
        #expect(workflow.error == "Cannot load rules: \(path):3: unknown rule kind \"require-everything\"; known: require-link, tag-pattern, require-attribute, generate-cables")
    }

    @Test("Rules files are checked line by line", arguments: [
        ("a = tag-pattern type=* pattern=\"[\"", "rules.conf:1: pattern \"[\" is not a valid regular expression"),
        ("a = require-link type=Pump", "rules.conf:1: require-link needs from=…"),
        ("a = require-link type=Pump from=Motor color=red", "rules.conf:1: require-link takes type, from, not \"color\""),
        ("# c\na = require-link type=Pump from=Motor\na = require-link type=Valve from=Motor", "rules.conf:3: rule \"a\" is already declared on line 2"),
        ("[RULES]", "rules.conf:1: a rules file has no [sections]; write one rule per line: id = kind key=value …"),
        ("[RULES] retries=2", "rules.conf:1: a section header is [NAME], with nothing after the ]"),
    ])
    func ruleFileErrors(text: String, expected: String) {
        #expect(throws: DeclarationError.self) { try RuleFile.parse(text, file: "rules.conf") }
        do {
            _ = try RuleFile.parse(text, file: "rules.conf")
        } catch {
            #expect(error.description == expected)
        }
    }
}
