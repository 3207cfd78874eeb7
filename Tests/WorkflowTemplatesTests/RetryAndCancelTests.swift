import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("Retry and cancel")
struct RetryAndCancelTests {
    @Test("A retry re-runs the failed job and the ones after it on the scratch state of the first attempt")
    func retryResumesFromScratch() async throws {
        let rulesPath = try TemplateTesting.temporaryDirectory() + "/rules.conf"
        let testing = try TemplateTesting(configuration: """
            [IMPORT_WITH_RULES] retries=0
            Fetch = import.fetch
            Save = import.save
            Load Rules = rules.load rules_path="\(rulesPath)"
            Save Again = import.save
            """)
        let first = try await testing.run("IMPORT_WITH_RULES", ["file_path": TemplateTesting.sample("assets.csv")])
        #expect(first.status == .failed)
        #expect(first.failedJobName == "Load Rules")
        #expect(testing.environment.assets.count == 10)

        try "pump-needs-motor = require-link type=Pump from=Motor\n".write(toFile: rulesPath, atomically: true, encoding: .utf8)
        _ = try await testing.engine.retry(id: first.id)
        let retried = try await testing.waitUntilTerminal(first.id)

        #expect(retried.status == .completed)
        #expect(retried.jobs[2].stats.counters["rulesLoaded"] == 1)
        #expect(retried.jobs[3].stats.counters["itemsCreated"] == 0)
        #expect(retried.jobs[3].stats.counters["itemsUnchanged"] == 10)
        #expect(testing.environment.assets.count == 10)
        #expect(testing.environment.scratchpad.count == 0)
    }

    @Test("A cancelled wait stops at its next check")
    func cancelStopsWait() async throws {
        let testing = try TemplateTesting(configuration: "[SLOW]\nPause = wait wait_ms=60000\n")
        let started = try await testing.engine.start(WorkflowRequest(type: "SLOW")).value
        try await Task.sleep(for: .milliseconds(150))
        let clock = ContinuousClock.now
        _ = try await testing.engine.cancel(id: started.id, reason: "not needed")
        let cancelled = try await testing.waitUntilTerminal(started.id)

        #expect(cancelled.status == .cancelled)
        #expect(ContinuousClock.now - clock < .seconds(30), "stopped at its next check, not after the minute it asked for")
    }

    @Test("A cancelled workflow's scratch state goes; a failed one's stays")
    func cancelRemovesScratch() async throws {
        let testing = try TemplateTesting(configuration: """
            [IMPORT_THEN_WAIT]
            Fetch = import.fetch
            Pause = wait wait_ms=60000
            Save = import.save
            """)
        let started = try await testing.engine.start(
            WorkflowRequest(type: "IMPORT_THEN_WAIT", params: ["file_path": TemplateTesting.sample("assets.csv")])
        ).value
        _ = try await testing.waitUntil(started.id) { $0.jobs[1].status == .running }
        #expect(testing.environment.scratchpad.count == 1)

        _ = try await testing.engine.cancel(id: started.id, reason: "not needed")
        let cancelled = try await testing.waitUntilTerminal(started.id)
        #expect(cancelled.status == .cancelled)
        #expect(testing.environment.scratchpad.count == 0)
    }

    @Test("A full scratchpad never evicts a running workflow's entry")
    func runningWorkflowKeepsScratch() async throws {
        let environment = TemplateEnvironment(scratchpad: WorkflowScratchpad(capacity: 1))
        let testing = try TemplateTesting(configuration: """
            [IMPORT_THEN_WAIT]
            Fetch = import.fetch
            Pause = wait wait_ms=60000
            Save = import.save
            """, environment: environment)
        let waiting = try await testing.engine.start(
            WorkflowRequest(type: "IMPORT_THEN_WAIT", params: ["file_path": TemplateTesting.sample("assets.csv")])
        ).value
        _ = try await testing.waitUntil(waiting.id) { $0.jobs[1].status == .running }

        let other = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.json")])
        #expect(other.status == .completed)
        #expect(environment.scratchpad.read(waiting.id) { $0.fetchedRows?.count } == 15)

        _ = try await testing.engine.cancel(id: waiting.id)
        _ = try await testing.waitUntilTerminal(waiting.id)
        #expect(environment.scratchpad.count == 0)
    }
}
