import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// The counts an engine keeps per type and status, after a restart on the real SQLite file.
@Suite("Counts after a restart")
struct RestoredCountsTests {
    @Test("restored, resumed and forgotten workflows are counted as a look at every workflow counts them")
    func countsSurviveARestart() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let running: String
        let newestFinished: String
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: SQLiteEventStoreTests.logger)
            let engine = WorkflowEngine(templates: .builtIn, store: store, logger: SQLiteEventStoreTests.logger)
            try await engine.restore()
            var finished: [String] = []
            for index in 0..<6 {
                let failing = index.isMultiple(of: 3) ? ["fail_job": "1"] : [:]
                let params = ["steps": "1", "step_delay_ms": "0"].merging(failing) { $1 }
                finished.append(try await engine.start(WorkflowRequest(type: "TEST", params: params, userID: "u")).value.id)
            }
            newestFinished = finished[finished.count - 1]
            running = try await engine.start(WorkflowRequest(type: "TEST", params: ["steps": "100000", "step_delay_ms": "50"], userID: "u")).value.id
            for id in finished {
                while try await engine.workflow(id: id).status == .running {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            await engine.shutdown()
            store.flush()
        }

        // Four finished workflows are kept; the two oldest are forgotten as the engine restores.
        let store = try await RemoteLeaseResumeTests.reopen(directory)
        let restored = WorkflowEngine(templates: .builtIn, workflowRetention: 4, store: store, logger: SQLiteEventStoreTests.logger)
        try await restored.restore()
        let kept = try await restored.count(WorkflowQuery())
        // A user filter takes the path that looks at every workflow; every workflow here is u's.
        #expect(kept == (try await restored.count(WorkflowQuery(userID: "u"))))
        #expect(kept.reduce(0) { $0 + $1.count } == 5)
        #expect(kept.first { $0.status == .running }?.count == 1)
        #expect(try await restored.workflow(id: running).status == .running)
        // A workflow restored already ended reflects the restored log, and says so every time.
        let before = try await restored.snapshot(id: newestFinished).asOfSequence
        #expect(before > 0)
        _ = try await restored.cancel(id: running, reason: "done")
        while try await restored.workflow(id: running).status == .running {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(try await restored.count(WorkflowQuery()) == (try await restored.count(WorkflowQuery(userID: "u"))))
        #expect(try await restored.snapshot(id: newestFinished).asOfSequence == before)
        await restored.shutdown()
    }
}
