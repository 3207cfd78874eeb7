import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("IMPORT_ASSETS")
struct ImportAssetsTests {
    @Test("The sample CSV creates its valid assets and reports each bad row with its line")
    func sampleCSV() async throws {
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.name) == ["Fetch External Assets", "Process Data", "Validate", "Save to Database"])
        #expect(workflow.counter("itemsFetched") == 15)
        #expect(workflow.counter("itemsProcessed") == 14)
        #expect(workflow.counter("itemsCreated") == 10)
        #expect(workflow.counter("itemsUpdated") == 0)
        #expect(workflow.counter("itemsFailed") == 5)

        let registry = testing.environment.assets
        #expect(registry.all().map(\.tag) == ["M-101", "M-102", "M-103", "P-101", "P-102", "P-103", "T-401", "V-201", "V-202", "XV-2001"])
        let motor = try #require(registry.asset(tag: "M-101"))
        #expect(motor.links == ["P-101"])
        #expect(motor.attributes == ["location": "Area 100", "power_kw": "15"])
        #expect(registry.asset(tag: "M-103")?.links == [], "the link to the unknown P-999 is dropped")
        #expect(registry.asset(tag: "M-103")?.name == "Spare motor, stored")
        #expect(registry.asset(tag: "V-202")?.name == "Discharge valve \"main\"")

        let save = workflow.jobs[3]
        let created = try #require(save.steps.first { $0.message == "Created Motor M-101" })
        #expect(created.entity == EntityReference(tag: "M-101", route: "/assets/\(motor.id)", id: motor.id, type: "Asset"))
        #expect(save.steps.contains { $0.message == "Linked M-101 → P-101" })

        let problems = workflow.allSteps.filter { $0.level >= .warn }.map(\.message)
        #expect(problems == [
            "Line 12: skipped: no tag",
            "Line 7: M-103 links to unknown P-999; link dropped",
            "Line 10: rejected P_104: the tag does not look like P-101 (letters, a dash, digits)",
            "Line 11: rejected X-301: unknown type \"Reactor\" (known: Cable, Instrument, Motor, Pump, Sensor, Tank, Valve)",
            "Line 13: rejected M-104: power_kw must be a number, got \"fifteen\"",
            "Line 14: rejected P-101: duplicate tag (first on line 2)",
        ])
        #expect(workflow.result == workflow.jobs[3].outputs)
        #expect(workflow.jobs[0].outputs["rows_read"] == "15")
    }

    @Test("The sample JSON reports elements by line")
    func sampleJSON() async throws {
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.json")])

        #expect(workflow.status == .completed)
        #expect(workflow.counter("itemsCreated") == 4)
        #expect(workflow.counter("itemsFailed") == 2)
        #expect(testing.environment.assets.asset(tag: "M-201")?.attributes["power_kw"] == "7.5")
        #expect(testing.environment.assets.asset(tag: "M-201")?.links == ["P-201"])
        let problems = workflow.allSteps.filter { $0.level >= .warn }.map(\.message)
        #expect(problems == ["Line 6: skipped: no tag", "Line 7: skipped: the row element 6 is not an object"])
    }

    @Test("Importing the same file again creates nothing twice")
    func rerunIsSafe() async throws {
        let testing = try TemplateTesting()
        let params = ["file_path": TemplateTesting.sample("assets.csv")]
        _ = try await testing.run("IMPORT_ASSETS", params)
        let again = try await testing.run("IMPORT_ASSETS", params)

        #expect(again.status == .completed)
        #expect(again.counter("itemsCreated") == 0)
        #expect(again.counter("itemsUpdated") == 0)
        #expect(again.counter("itemsUnchanged") == 10)
        #expect(testing.environment.assets.count == 10)
    }

    @Test("A file that cannot be read fails the Fetch job with the reason after the product policy's 3 attempts")
    func unreadableFile() async throws {
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": "/nonexistent/assets.csv"])

        #expect(workflow.status == .failed)
        #expect(workflow.failedJobName == "Fetch External Assets")
        #expect(workflow.error?.hasPrefix("Cannot read /nonexistent/assets.csv") == true)
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["IO", "IO", "IO"])
    }

    @Test("A CSV with an unclosed quote fails Fetch naming the line")
    func unparsableFile() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        let path = directory + "/broken.csv"
        try "tag,type,name\nP-1,Pump,ok\nP-2,Pump,\"never closed\n".write(toFile: path, atomically: true, encoding: .utf8)
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": path])

        #expect(workflow.status == .failed)
        #expect(workflow.error == "Cannot parse \(path): line 3: a quoted field is never closed")
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["VALIDATION"], "invalid input is not retried")
    }

    @Test("Bad parameters are refused before the workflow starts", arguments: [
        ([:], "params.file_id: is required (or file_path, a path on the server)"),
        (["file_path": "assets.txt"], "params.file_path: must end in .csv or .json (or give params.format), got \"assets.txt\""),
        (["file_path": "a.csv", "batch_size": "0"], "params.batch_size: must be an integer from 1 to 10000, got \"0\""),
        (["file_path": "a.csv", "max_problem_steps": "-1"], "params.max_problem_steps: must be an integer from 0 to 100000, got \"-1\""),
    ])
    func badParameters(params: [String: String], message: String) async throws {
        let testing = try TemplateTesting()
        do {
            _ = try await testing.engine.start(WorkflowRequest(type: "IMPORT_ASSETS", params: params))
            Issue.record("IMPORT_ASSETS started with \(params)")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == message)
        }
    }

    @Test("Many rows are reported in batches, not one step per row")
    func manyRowsInBatches() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        let path = directory + "/many.csv"
        var text = "tag,type,name\n"
        for number in 1...1_000 {
            text += "P-\(number),Pump,Pump \(number)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_path": path])

        #expect(workflow.status == .completed)
        #expect(workflow.counter("itemsCreated") == 1_000)
        let save = workflow.jobs[3]
        #expect(save.steps.count == 11)
        #expect(save.steps[0].message == "Saved assets 1–100 (lines 2–101): 100 created, 0 updated, 0 unchanged")
        #expect(save.progress == 1)
        #expect(workflow.jobs[0].steps.count == 11)

        let tenths = (1...10).map { $0 * 100 }
        #expect(testing.progressMessages(of: workflow.id, job: "Fetch External Assets") == tenths.map { "Fetched \($0)/1000 rows" })
        #expect(testing.progressMessages(of: workflow.id, job: "Process Data") == tenths.map { "Processed \($0)/1000 rows" })
        #expect(testing.progressMessages(of: workflow.id, job: "Validate") == tenths.map { "Validated \($0)/1000 assets" })
        #expect(testing.progressMessages(of: workflow.id, job: "Save to Database") == tenths.map { "Saved \($0)/1000 assets" })
    }

    @Test("A cancel while Process Data runs stops it at the next batch boundary")
    func cancelStopsProcessBetweenBatches() async throws {
        let rowCount = 100_000
        let path = try TemplateTesting.temporaryDirectory() + "/huge.csv"
        var text = "tag,type\n"
        for number in 1...rowCount {
            text += "P-\(number),Pump\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let testing = try TemplateTesting(configuration: """
            [SLOW_PROCESS]
            Fetch = import.fetch batch_size=10000 detail_limit=0
            Process = import.process batch_size=50
            Save = import.save
            """)
        let started = try await testing.engine.start(WorkflowRequest(type: "SLOW_PROCESS", params: ["file_path": path])).value
        _ = try await testing.waitUntil(started.id) { $0.jobs[1].progress > 0 || $0.status.isTerminal }
        _ = try await testing.engine.cancel(id: started.id, reason: "enough")
        let cancelled = try await testing.waitUntilTerminal(started.id)

        #expect(cancelled.status == .cancelled)
        let process = cancelled.jobs[1]
        #expect(process.status == .cancelled)
        #expect(process.progress < 1, "stopped before the last batch")
        let done = try #require(Int(process.progressMessage.dropFirst("Processed ".count).prefix { $0.isNumber }))
        #expect(process.progressMessage == "Processed \(done)/\(rowCount) rows")
        #expect(done < rowCount)
        #expect(!process.steps.contains { $0.message.hasPrefix("Processed \(rowCount) rows") })
        #expect(testing.environment.assets.count == 0)
    }

    @Test("Bad rows beyond max_problem_steps are counted in one summary step, per job", arguments: [
        (nil, 12, 10),
        ("3", 3, 3),
        ("0", 0, 0),
    ] as [(String?, Int, Int)])
    func problemStepsAreCapped(parameter: String?, processSteps: Int, validateSteps: Int) async throws {
        let path = try TemplateTesting.temporaryDirectory() + "/bad.csv"
        var text = "tag,type\nP-1,Pump\n"
        for number in 1...12 {
            text += "P-\(number + 100),\n"
        }
        for number in 1...10 {
            text += "BAD_\(number),Pump\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var params = ["file_path": path]
        params["max_problem_steps"] = parameter
        let testing = try TemplateTesting()
        let workflow = try await testing.run("IMPORT_ASSETS", params)

        #expect(workflow.status == .completed)
        #expect(workflow.counter("itemsFailed") == 22)
        #expect(workflow.counter("itemsCreated") == 1)
        let process = workflow.jobs[1].steps.filter { $0.level == .error }.map(\.message)
        let validate = workflow.jobs[2].steps.filter { $0.level == .error }.map(\.message)
        let limit = parameter.flatMap { Int($0) } ?? 50
        #expect(process.count == processSteps + (processSteps < 12 ? 1 : 0))
        #expect(process.prefix(processSteps) == (3..<3 + processSteps).map { "Line \($0): skipped P-\($0 + 98): no type" }[...])
        if processSteps < 12 {
            #expect(process.last == "… and \(12 - processSteps) more problems not logged as steps (max_problem_steps=\(limit))")
        }
        #expect(validate.count == validateSteps + (validateSteps < 10 ? 1 : 0))
        if validateSteps < 10 {
            #expect(validate.last == "… and \(10 - validateSteps) more problems not logged as steps (max_problem_steps=\(limit))")
        }
    }
}
