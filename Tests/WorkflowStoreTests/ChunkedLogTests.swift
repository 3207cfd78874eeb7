import Foundation
import GRDB
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowStore

/// The log in chunks (schema v4): many events per row, read from any cursor, kept for the steps
/// of retained workflows, and moved there from v3's row per event.
@Suite("The log in chunks")
struct ChunkedLogTests {
    private static let logger = SQLiteEventStoreTests.logger

    private static func step(_ sequence: UInt64, of workflowID: String, position: Int = 0) -> WorkflowModel.LogEvent {
        SQLiteEventStoreTests.event(sequence, workflowID: workflowID, job: JobRef(id: "\(workflowID)-j\(position + 1)", name: "Fetch", position: position))
    }

    /// A progress event (half done) of `workflowID`'s first job: with it, a commit stores a
    /// `progress` row for that job.
    private static func progress(_ sequence: UInt64, of workflowID: String) -> WorkflowModel.LogEvent {
        var event = SQLiteEventStoreTests.event(sequence, .progressUpdated, workflowID: workflowID, job: JobRef(id: "\(workflowID)-j1", name: "Fetch", position: 0))
        event.progress = 0.5
        return event
    }

    /// A store in `directory` that retains the newest 10 events.
    private static func storeKeepingTenEvents(in directory: String) throws -> SQLiteEventStore {
        try SQLiteEventStore(configuration: .init(directory: directory, eventRetention: 10), logger: Self.logger)
    }

    /// Queues a progress event of another workflow for each of `sequences`, an enqueue call
    /// each, and commits them: the log moves past what came before.
    private static func appendOtherEvents(_ sequences: ClosedRange<UInt64>, to store: SQLiteEventStore) {
        for sequence in sequences {
            store.enqueue(.events([SQLiteEventStoreTests.event(sequence, .progressUpdated, workflowID: "wf-other")]))
        }
        store.flush()
    }

    private static func chunkRanges(in directory: String) throws -> [ClosedRange<Int64>] {
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT first_sequence, last_sequence FROM event_chunks ORDER BY first_sequence").map { $0[0]...$0[1] }
        }
    }

    @Test("a commit larger than a chunk is stored in several, and reads from any cursor go across their edges")
    func readsAcrossChunks() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        let count = UInt64(2 * EventChunk.maxEvents + 88)
        store.enqueue(.events((1...count).map { SQLiteEventStoreTests.event($0, .progressUpdated, workflowID: $0.isMultiple(of: 3) ? "wf-b" : "wf-a") }))
        store.flush()

        let edge = Int64(EventChunk.maxEvents)
        #expect(try Self.chunkRanges(in: directory) == [1...edge, edge + 1...2 * edge, 2 * edge + 1...Int64(count)])
        for cursor in [0, edge - 1, edge, edge + 1, 2 * edge - 2, Int64(count) - 2] {
            let after = UInt64(cursor)
            #expect(try store.events(after: after, through: count, limit: 3).map(\.sequence) == Array(after + 1...min(after + 3, count)))
        }
        let after = UInt64(edge - 2)
        let ofB = try store.events(after: after, through: count, matching: EventFilter(workflowID: "wf-b"), scanLimit: 10, limit: 3)
        let expected = Array((after + 1...count).filter { $0.isMultiple(of: 3) }.prefix(3))
        #expect(ofB.events.map(\.sequence) == expected)
        #expect(ofB.scanned == after + 1...expected[2])
        #expect(try store.events(after: count, through: count + 10, limit: 3).isEmpty)
    }

    /// The sequences of the events chunk `first` holds, in order.
    private static func sequences(inChunk first: Int64, in directory: String) throws -> [UInt64] {
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        let body = try queue.read { db in try Data.fetchOne(db, sql: "SELECT body FROM event_chunks WHERE first_sequence = ?", arguments: [first]) }
        guard let body else { return [] }
        var sequences: [UInt64] = []
        try EventChunk.forEachRecord(in: [UInt8](body)) { sequence, _ in
            sequences.append(sequence)
            return true
        }
        return sequences
    }

    @Test("once pruned past, a chunk of nothing but retained workflows' steps stays as it is, and one whose workflow was forgotten while the log held it whole is reduced to the others' steps")
    func wholeClaimedChunksStay() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try Self.storeKeepingTenEvents(in: directory)
        for id in ["wf-a", "wf-b", "wf-c"] {
            store.enqueue(.workflow(SQLiteEventStoreTests.runningWorkflow(id: id), firstSequence: 1))
        }
        store.enqueue(.events([Self.step(1, of: "wf-a"), Self.step(2, of: "wf-a"), Self.step(3, of: "wf-b"), Self.step(4, of: "wf-b")]))
        store.flush()
        store.enqueue(.events([Self.step(5, of: "wf-c"), Self.step(6, of: "wf-c", position: 1)]))
        store.flush()
        store.enqueue(.forget(workflowID: "wf-b"))
        store.flush()
        #expect(try Self.sequences(inChunk: 1, in: directory) == [1, 2, 3, 4], "forgotten within the log: still whole")

        Self.appendOtherEvents(7...60, to: store)
        #expect(try #require(store.oldestStoredSequence) > 40)
        #expect(try Self.sequences(inChunk: 1, in: directory) == [1, 2])
        #expect(try Self.sequences(inChunk: 5, in: directory) == [5, 6])
        #expect(try Self.chunkRanges(in: directory).prefix(2) == [1...4, 5...6])
        #expect(try store.steps(ofWorkflow: "wf-a", through: .max, jobIDs: []).map(\.step.sequence) == [1, 2])
        #expect(try store.steps(ofWorkflow: "wf-c", through: .max, jobIDs: []).map(\.step.sequence) == [5, 6])
    }

    @Test("once pruned past, a chunk keeps only the steps of the retained workflows that claim it; forgetting one takes its steps out, the last one the chunk")
    func chunksKeptForSteps() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try Self.storeKeepingTenEvents(in: directory)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-b"), firstSequence: 3),
            .events([
                Self.step(1, of: "wf-a"), Self.step(2, of: "wf-a"),
                SQLiteEventStoreTests.event(3, .jobStarted, workflowID: "wf-b", job: JobRef(id: "wf-b-j2", name: "Process", position: 1)),
                Self.step(4, of: "wf-b", position: 1),
                SQLiteEventStoreTests.event(5, .progressUpdated, workflowID: "wf-other"),
                Self.step(6, of: "wf-b"),
            ]),
        ])
        // A commit of its own, so that its chunk holds these six events only.
        store.flush()
        #expect(try Self.sequences(inChunk: 1, in: directory) == [1, 2, 3, 4, 5, 6])
        Self.appendOtherEvents(7...60, to: store)
        let oldest = try #require(store.oldestStoredSequence)
        #expect(oldest > 40)
        #expect(try Self.chunkRanges(in: directory).first == 1...6)
        #expect(try Self.sequences(inChunk: 1, in: directory) == [1, 2, 4, 6])
        #expect(try Self.chunkRanges(in: directory).dropFirst().allSatisfy { UInt64($0.upperBound) >= oldest })
        #expect(try store.events(after: 0, through: 60, limit: 100).map(\.sequence) == Array(oldest...60))
        #expect(try store.steps(ofWorkflow: "wf-a", through: .max, jobIDs: []).map(\.step.sequence) == [1, 2])

        store.enqueue(.forget(workflowID: "wf-a"))
        store.flush()
        #expect(try store.steps(ofWorkflow: "wf-a", through: .max, jobIDs: []).isEmpty)
        #expect(try store.steps(ofWorkflow: "wf-b", through: .max, jobIDs: []).map { [$0.step.sequence, UInt64($0.jobPosition)] } == [[4, 1], [6, 0]])
        #expect(try Self.sequences(inChunk: 1, in: directory) == [4, 6])
        let recovered = try store.recover().workflows.first { $0.workflow.id == "wf-b" }
        #expect(recovered?.workflow.jobs.map { $0.steps.map(\.sequence) } == [[6], [4], []], "a running workflow comes back with its steps")

        store.enqueue(.forget(workflowID: "wf-b"))
        store.flush()
        #expect(try store.steps(ofWorkflow: "wf-b", through: .max, jobIDs: []).isEmpty)
        #expect(try Self.chunkRanges(in: directory).allSatisfy { UInt64($0.upperBound) >= oldest })
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_steps") } == 0)
    }

    @Test("a chunk that holds the oldest whole sequence stays whole, claimed or not, and is pruned once the log is past it")
    func chunkAcrossTheOldestWholeSequence() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try Self.storeKeepingTenEvents(in: directory)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .events([Self.step(1, of: "wf-a")] + (2...12).map { SQLiteEventStoreTests.event($0, .progressUpdated, workflowID: "wf-other") }),
        ])
        store.flush()
        let oldest = try #require(store.oldestStoredSequence)
        #expect(oldest > 1 && oldest <= 12)
        #expect(try store.events(after: 0, through: 12, limit: 100).map(\.sequence) == Array(oldest...12))

        store.enqueue(.forget(workflowID: "wf-a"))
        store.flush()
        #expect(try Self.sequences(inChunk: 1, in: directory) == Array(1...12), "the log still holds part of it")
        #expect(try store.events(after: 0, through: 12, limit: 100).map(\.sequence) == Array(oldest...12))

        for sequence in UInt64(13)...30 {
            store.enqueue(.events([SQLiteEventStoreTests.event(sequence, .progressUpdated, workflowID: "wf-other")]))
            store.flush()
            let oldest = try #require(store.oldestStoredSequence)
            #expect(try store.events(after: 0, through: sequence, limit: 100).map(\.sequence) == Array(oldest...sequence))
        }
        #expect(try #require(store.oldestStoredSequence) > 12)
        #expect(try Self.chunkRanges(in: directory).first.map { $0.lowerBound > 1 } == true)
    }

    @Test("a workflow forgotten in the commit that stores its steps leaves no claim on their chunk")
    func forgottenInTheSameCommit() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .events([Self.step(1, of: "wf-a"), Self.step(2, of: "wf-a")]),
            .forget(workflowID: "wf-a"),
        ])
        store.flush()
        #expect(try store.steps(ofWorkflow: "wf-a", through: .max, jobIDs: []).isEmpty)
        #expect(try store.events(after: 0, through: 2, limit: 10).map(\.sequence) == [1, 2])
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_steps") } == 0)
    }

    @Test("a forget between a commit's events leaves them in one chunk, and only the forgotten workflow's steps unclaimed")
    func forgetDoesNotCutTheChunk() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-b"), firstSequence: 2),
            .events([Self.step(1, of: "wf-a"), Self.step(2, of: "wf-b"), Self.step(3, of: "wf-a", position: 1)]),
            .forget(workflowID: "wf-a"),
            .events([Self.step(4, of: "wf-b")]),
        ])
        store.flush()
        #expect(try Self.chunkRanges(in: directory) == [1...4])
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        let claims = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT workflow_id, chunk, job_position, steps FROM chunk_steps").map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int)" }
        }
        #expect(claims == ["wf-b 1 0 2"])
        #expect(try store.steps(ofWorkflow: "wf-b", through: .max, jobIDs: []).map(\.step.sequence) == [2, 4])
    }

    @Test("workflows forgotten in one commit lose their trees, progress, claims and the chunks only they claimed, together")
    func forgottenTogether() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try Self.storeKeepingTenEvents(in: directory)
        let ids = ["wf-a", "wf-\"quoted\"", "wf-c\\d", "wf-e"]
        store.enqueue(contentsOf: ids.enumerated().map { index, id in
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: id), firstSequence: UInt64(index + 1))
        })
        store.enqueue(.events(ids.enumerated().map { index, id in Self.step(UInt64(index + 1), of: id) }))
        store.enqueue(.events([Self.progress(5, of: "wf-a")]))
        store.flush()
        Self.appendOtherEvents(6...60, to: store)
        #expect(try Self.sequences(inChunk: 1, in: directory) == [1, 2, 3, 4], "kept for the steps of all four")
        let progressRows = try DatabaseQueue(path: directory + "/workflows.sqlite").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM progress")
        }
        #expect(progressRows == 1)

        store.enqueue(contentsOf: ids.dropLast().map { .forget(workflowID: $0) })
        store.flush()
        #expect(try Self.sequences(inChunk: 1, in: directory) == [4], "only wf-e's step is still claimed")
        for id in ids.dropLast() {
            #expect(try store.steps(ofWorkflow: id, through: .max, jobIDs: []).isEmpty)
        }
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        let left = try queue.read { db in
            (try String.fetchAll(db, sql: "SELECT id FROM workflows ORDER BY id"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM progress"),
             try String.fetchAll(db, sql: "SELECT DISTINCT workflow_id FROM chunk_steps"))
        }
        #expect(left.0 == ["wf-e"])
        #expect(left.1 == 0)
        #expect(left.2 == ["wf-e"])
    }

    @Test("a workflow's progress and its forget in one commit leave no progress row")
    func progressAndForgetInOneCommit() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .events([Self.progress(1, of: "wf-a")]),
            .forget(workflowID: "wf-a"),
        ])
        store.flush()
        let rows = try DatabaseQueue(path: directory + "/workflows.sqlite").read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM progress"), try Int.fetchOne(db, sql: "SELECT count(*) FROM workflows"))
        }
        #expect(rows.0 == 0)
        #expect(rows.1 == 0)
    }

    @Test("a forget and the pruning past its steps in one commit leave nothing of them")
    func forgetAndPruneInOneCommit() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let store = try Self.storeKeepingTenEvents(in: directory)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-a"), firstSequence: 1),
            .events([Self.step(1, of: "wf-a"), Self.step(2, of: "wf-a")]),
        ])
        store.flush()
        store.enqueue(contentsOf: [.forget(workflowID: "wf-a")]
            + (UInt64(3)...60).map { .events([SQLiteEventStoreTests.event($0, .progressUpdated, workflowID: "wf-other")]) })
        store.flush()
        #expect(try #require(store.oldestStoredSequence) > 40)
        #expect(try Self.chunkRanges(in: directory).first.map { $0.lowerBound > 2 } == true, "the chunk of its steps is gone")
        #expect(try store.steps(ofWorkflow: "wf-a", through: .max, jobIDs: []).isEmpty)
    }

    @Test("a list of ids reaches SQLite's json_each unchanged: quotes, backslashes, control characters (NUL aside, which ids never hold) and non-ASCII")
    func idsAsJSON() throws {
        let ids = ["plain", "a\"b", "c\\d", "e\nf\u{1}", "ü-𝄞", ""]
        let queue = try DatabaseQueue()
        let read = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT value FROM json_each(?) ORDER BY key", arguments: [SQLiteEventStore.jsonArray(of: ids)])
        }
        #expect(read == ids)
    }

    @Test("a v3 file's rows move into chunks of the most events a chunk holds: replays, steps below the oldest whole sequence, their counts and the bounds read as before")
    func migrationFromV3() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var workflow = SQLiteEventStoreTests.runningWorkflow(id: "wf-keep")
        workflow.jobs[0].status = .completed
        workflow.jobs[1].status = .running
        let rows: [(event: WorkflowModel.LogEvent, position: Int?)] = [
            (Self.step(1, of: "wf-keep"), 0),
            (Self.step(2, of: "wf-keep"), 0),
            (Self.step(5, of: "wf-keep"), 0),
            (SQLiteEventStoreTests.event(6, .progressUpdated, workflowID: "wf-other"), nil),
            (SQLiteEventStoreTests.event(7, .jobStarted, workflowID: "wf-keep"), nil),
            (Self.step(8, of: "wf-keep", position: 1), 1),
        ] + (UInt64(9)...UInt64(EventChunk.maxEvents + 50)).map { (SQLiteEventStoreTests.event($0, .progressUpdated, workflowID: "wf-other"), nil) }
        do {
            let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
            try StoreSchema.migrator.migrate(queue, upTo: "v3")
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO workflows (id, first_sequence, status, finished_at_ms, body) VALUES (?, 1, 'RUNNING', NULL, ?)",
                    arguments: [workflow.id, Data(RecordCodec.encode(workflow))]
                )
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO events (sequence, workflow_id, timestamp_ms, job_position, body) VALUES (?, ?, ?, ?, ?)",
                        arguments: [Int64(row.event.sequence), row.event.workflowID, row.event.timestampMs, row.position, Data(RecordCodec.encode(row.event))]
                    )
                }
                // Pruned by v3: events 3 and 4, not the kept steps 1 and 2.
                try db.execute(sql: "INSERT INTO bounds (name, sequence) VALUES ('oldest_event', 5)")
            }
        }

        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        let newest = UInt64(EventChunk.maxEvents + 50)
        #expect(store.oldestStoredSequence == 5)
        #expect(try store.events(after: 0, through: newest, limit: 1_000) == rows.dropFirst(2).map(\.event))
        #expect(try Self.chunkRanges(in: directory) == [1...Int64(EventChunk.maxEvents + 2), Int64(EventChunk.maxEvents + 3)...Int64(newest)])
        #expect(try store.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).map { [$0.step.sequence, UInt64($0.jobPosition)] } == [[1, 0], [2, 0], [5, 0], [8, 1]])
        let recovered = try store.recover()
        #expect(recovered.lastSequence == newest)
        #expect(recovered.workflows.first?.workflow.jobs.map { $0.steps.map(\.sequence) } == [[1, 2, 5], [8], []])
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        #expect(try SQLiteEventStoreTests.storedEvents(in: queue) == rows.map(\.event))
        #expect(try queue.read { db in try Bool.fetchOne(db, sql: "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'events'") } == true)
        let counts = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT job_position, sum(steps) FROM chunk_steps WHERE workflow_id = 'wf-keep' GROUP BY job_position ORDER BY job_position")
                .map { [$0[0] as Int, $0[1] as Int] }
        }
        #expect(counts == [[0, 3], [1, 1]])
    }
}
