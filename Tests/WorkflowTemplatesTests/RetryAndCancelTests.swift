import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("Retry and cancel")
struct RetryAndCancelTests {
    @Test("A retry re-runs the failed job and the ones after it; the completed jobs' outputs stay and are read")
    func retryKeepsEarlierOutputs() async throws {
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
        #expect(retried.jobs[0].outputs["rows_read"] == "15", "Fetch's outputs from the first attempt stay")
        #expect(retried.jobs[2].outputs == ["rules_loaded": "1"])
        #expect(retried.result == retried.jobs[3].outputs)
        #expect(retried.result["assets_unchanged"] == "10")
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
}
