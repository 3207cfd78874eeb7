import Foundation
import Synchronization
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
@Suite("Write-ahead log size", .serialized)
struct WALSizeTests {
    /// The size of the WAL file of the store in `directory` (0 when there is none).
    private static func walSize(in directory: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: directory + "/workflows.sqlite-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// `count` events after `sequence`, each with a message of `messageBytes` bytes; advances
    /// `sequence`.
    private static func events(_ count: Int, messageBytes: Int, after sequence: inout UInt64) -> [WorkflowModel.LogEvent] {
        (0..<count).map { _ in
            sequence += 1
            var event = SQLiteEventStoreTests.event(sequence)
            event.message = String(repeating: "x", count: messageBytes)
            return event
        }
    }

    /// The WAL's checkpoint sequence number (its header's bytes 12–15, big-endian), which SQLite
    /// raises each time the WAL starts over; nil while the file has no header.
    private static func walCheckpointSequence(in directory: String) -> UInt32? {
        guard let header = FileManager.default.contents(atPath: directory + "/workflows.sqlite-wal")?.prefix(16), header.count == 16 else {
            return nil
        }
        return header.dropFirst(12).reduce(0) { $0 << 8 | UInt32($1) }
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
            store.enqueue(.events(Self.events(50, messageBytes: 2_000, after: &sequence)))
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

    @Test("under steady writes the WAL starts over at checkpoints instead of growing with everything written")
    func walStartsOverUnderSteadyWrites() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteEventStore(configuration: .init(directory: directory, walSizeLimit: 256 << 10), logger: SQLiteEventStoreTests.logger)
        // Two writers, so that one's batch is queued while the other waits for its commit: the
        // writer commits back to back, and commits land during every checkpoint's copy.
        // Their batches are queued in sequence order, as the event log queues them.
        let written = Mutex<UInt64>(0)
        let checkpointSequences = Mutex<Set<UInt32>>([])
        let end = ContinuousClock.now + .milliseconds(2_600)  // five rounds, ten and more at the fast pace
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            while ContinuousClock.now < end {
                written.withLock { sequence in
                    store.enqueue(.events(Self.events(50, messageBytes: 2_000, after: &sequence)))
                }
                store.flush()
                if let number = Self.walCheckpointSequence(in: directory) {
                    checkpointSequences.withLock { _ = $0.insert(number) }
                }
            }
        }
        // Each start over gives the WAL a new header. Without the commit gate, commits landing
        // during every copy let it start over now and then only: three headers at most in runs
        // of this test, against twelve and more with it.
        let headers = checkpointSequences.withLock { $0.count }
        let sequence = written.withLock { $0 }
        #expect(headers >= 6, "the WAL had \(headers) headers in \(sequence) events")
        #expect(try store.events(after: sequence - 100, through: sequence, limit: 100).count == 100)
    }
}
