import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// Records, job outputs, results and artifacts on the real SQLite file.
@Suite("Records and outputs in the store")
struct RecordsAndOutputsTests {
    @Test("a record replaces the stored one only with a higher revision, in any commit order")
    func recordRevisions() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: SQLiteEventStoreTests.logger)
            let newer = StoredRecord(collection: "asset", key: "1", revision: 5, body: Array("new".utf8))
            let older = StoredRecord(collection: "asset", key: "1", revision: 4, body: Array("old".utf8))
            store.enqueue(.records([newer]))
            store.enqueue(.records([older, StoredRecord(collection: "asset", key: "2", revision: 1, body: [])]))
            store.enqueue(.records([StoredRecord(collection: "other", key: "1", revision: 1, body: [9])]))
            store.flush()
            #expect(try store.records(in: "asset").sorted { $0.key < $1.key }.map(\.body) == [Array("new".utf8), []])
        }
        let reopened = try await RemoteLeaseResumeTests.reopen(directory)
        #expect(try reopened.records(in: "asset").count == 2)
        #expect(try reopened.records(in: "other").map(\.body) == [[9]])
        #expect(try reopened.records(in: "none").isEmpty)
    }

    @Test("outputs, the result and artifacts survive a restart")
    func outputsSurviveARestart() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let template = WorkflowTemplate(type: "OUT", jobs: [
            JobDefinition(name: "First") { context in
                try context.setOutput("rows", "16")
                context.recordArtifact(name: "a.json", contentType: "application/json", sizeBytes: 2, sha256: String(repeating: "a", count: 64), message: "Saved a.json")
            },
            JobDefinition(name: "Second") { context in try context.setOutput("sum", context.inputs["rows"] ?? "-") },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let finished: Workflow
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: SQLiteEventStoreTests.logger)
            let engine = WorkflowEngine(templates: templates, store: store, logger: SQLiteEventStoreTests.logger)
            try await engine.restore()
            let id = try await engine.start(WorkflowRequest(type: "OUT")).value.id
            while try await engine.workflow(id: id).status == .running {
                try await Task.sleep(for: .milliseconds(2))
            }
            finished = try await engine.workflow(id: id)
            await engine.shutdown()
            store.flush()
        }
        #expect(finished.result == ["sum": "16"] && finished.artifacts.count == 1)
        let store = try await RemoteLeaseResumeTests.reopen(directory)
        let restored = WorkflowEngine(templates: templates, store: store, logger: SQLiteEventStoreTests.logger)
        try await restored.restore()
        let workflow = try await restored.workflow(id: finished.id)
        #expect(workflow.jobs.map(\.outputs) == [["rows": "16"], ["sum": "16"]])
        #expect(workflow.result == finished.result)
        #expect(workflow.artifacts == finished.artifacts)
        #expect(await restored.retainedArtifacts() == finished.artifacts)
        await restored.shutdown()
    }
}

/// The WAL file's size on the real SQLite file.
@Suite("Write-ahead log size")
struct WALSizeTests {
    /// The size of the WAL file of the store in `directory` (0 when there is none).
    private static func walSize(in directory: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: directory + "/workflows.sqlite-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// `count` events after `sequence`, each with a message of `bytes` bytes; advances `sequence`.
    private static func events(_ count: Int, of bytes: Int, after sequence: inout UInt64) -> [WorkflowModel.LogEvent] {
        (0..<count).map { _ in
            sequence += 1
            var event = SQLiteEventStoreTests.event(sequence)
            event.message = String(repeating: "x", count: bytes)
            return event
        }
    }

    @Test("the WAL is brought back under its limit once writes pause, whatever was written")
    func walStaysBounded() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let limit = 256 << 10
        let store = try SQLiteEventStore(configuration: .init(directory: directory, walSizeLimit: limit), logger: SQLiteEventStoreTests.logger)
        func walSize() -> Int { Self.walSize(in: directory) }
        var sequence: UInt64 = 0
        var largest = 0
        for _ in 0..<40 {
            store.enqueue(.events(Self.events(50, of: 2_000, after: &sequence)))
            store.flush()
            largest = max(largest, walSize())
        }
        #expect(largest > limit, "the test writes more than the limit between checkpoints (\(largest) bytes)")
        // Checkpoints run every 500 ms: within a few, the file is back under the limit.
        for _ in 0..<100 where walSize() > limit {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(walSize() <= limit, "the WAL stayed at \(walSize()) bytes")
        #expect(try store.events(after: 0, through: sequence, limit: 10_000).count == Int(sequence))
    }

    /// Commits small batches of events, one after another with no pause (so that commits land
    /// during every checkpoint's copy), for `duration`.
    /// - Returns: How many times the WAL started over meanwhile (its file shrank: starting over
    ///   cuts it to the limit, and a WAL that never does only grows), and the last sequence.
    private static func writeSteadily(to store: SQLiteEventStore, in directory: String, for duration: Duration) -> (startsOver: Int, sequence: UInt64) {
        var sequence: UInt64 = 0
        var previous = 0
        var startsOver = 0
        let clock = ContinuousClock()
        let end = clock.now + duration
        while clock.now < end {
            store.enqueue(.events(events(20, of: 500, after: &sequence)))
            store.flush()
            let size = walSize(in: directory)
            if size < previous {
                startsOver += 1
            }
            previous = size
        }
        return (startsOver, sequence)
    }

    @Test("under steady writes the WAL starts over at checkpoints instead of growing with everything written")
    func walStartsOverUnderSteadyWrites() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteEventStore(
            configuration: .init(directory: directory, walSizeLimit: 256 << 10, checkpointInterval: .milliseconds(100)),
            logger: SQLiteEventStoreTests.logger
        )
        let (startsOver, sequence) = Self.writeSteadily(to: store, in: directory, for: .milliseconds(1_500))  // fifteen rounds or more
        #expect(startsOver >= 3, "the WAL started over \(startsOver) times in \(sequence) events")
        #expect(try store.events(after: sequence - 100, through: sequence, limit: 100).count == 100)
    }

    @Test("a WAL that fills half its limit between checkpoints is checkpointed four times as often")
    func fastWritesCheckpointSooner() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteEventStore(
            configuration: .init(directory: directory, walSizeLimit: 256 << 10, checkpointInterval: .seconds(1)),
            logger: SQLiteEventStoreTests.logger
        )
        // Rounds at 1 s, then every 250 ms: about nine by 3.2 s, where the interval alone gives three.
        let (startsOver, sequence) = Self.writeSteadily(to: store, in: directory, for: .milliseconds(3_200))
        #expect(startsOver >= 6, "the WAL started over \(startsOver) times in \(sequence) events")
    }
}
