import Foundation
import GRDB
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowStore

/// A step is stored once, as its event in the log (schema v3, in chunks since v4): kept past the
/// event retention while its workflow is, gone when the workflow is forgotten, and moved there
/// from v2's `steps` table.
@Suite("Steps in the event log")
struct StepsInEventLogTests {
    private static let logger = SQLiteEventStoreTests.logger
    private static let job = JobRef(id: "wf-keep-j1", name: "Fetch", position: 0)

    @Test("pruning keeps a retained workflow's steps, replays never see them below the oldest whole sequence, and both survive a reopen; forgetting the workflow deletes them")
    func stepsOutliveTheRetention() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        var store: SQLiteEventStore? = try SQLiteEventStore(configuration: .init(directory: directory, eventRetention: 10), logger: Self.logger)
        store!.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-keep"), firstSequence: 1),
            .events((1...5).map { SQLiteEventStoreTests.event($0, workflowID: "wf-keep", job: Self.job) }),
        ])
        for sequence in UInt64(6)...100 {
            store!.enqueue(.events([SQLiteEventStoreTests.event(sequence, .progressUpdated, workflowID: "wf-other")]))
            if sequence % 7 == 0 { store!.flush() }
        }
        store!.flush()
        let oldest = try #require(store!.oldestStoredSequence)
        #expect(oldest > 5)
        #expect(try store!.events(after: 0, through: 100, limit: 1_000).first?.sequence == oldest)
        #expect(try store!.events(after: 2, through: 100, limit: 1_000).first?.sequence == oldest)
        #expect(try store!.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).map(\.step.sequence) == Array(1...5))

        store = nil
        let reopened = try SQLiteEventStore(configuration: .init(directory: directory, eventRetention: 10), logger: Self.logger)
        #expect(reopened.oldestStoredSequence == oldest)
        #expect(try reopened.events(after: 0, through: 100, limit: 1_000).map(\.sequence) == Array(oldest...100))
        #expect(try reopened.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).map(\.step.sequence) == Array(1...5))
        #expect(try reopened.steps(ofWorkflow: "wf-keep", through: 3, jobIDs: []).map(\.step.sequence) == Array(1...3))
        reopened.enqueue(.forget(workflowID: "wf-keep"))
        reopened.flush()
        #expect(try reopened.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).isEmpty)
    }

    @Test("forgetting a workflow whose steps are within the retained log leaves the log whole: they become plain events, pruned in order later")
    func forgetWithinTheRetention() throws {
        let store = try SQLiteEventStore(configuration: .init(directory: SQLiteEventStoreTests.temporaryDirectory(), eventRetention: 30), logger: Self.logger)
        store.enqueue(contentsOf: [
            .workflow(SQLiteEventStoreTests.runningWorkflow(id: "wf-keep"), firstSequence: 1),
            .events((1...5).map { SQLiteEventStoreTests.event($0, workflowID: "wf-keep", job: Self.job) }),
        ])
        store.enqueue(.events((6...20).map { SQLiteEventStoreTests.event($0, .progressUpdated, workflowID: "wf-other") }))
        store.enqueue(.forget(workflowID: "wf-keep"))
        store.flush()
        #expect(try store.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).isEmpty)
        #expect(try store.events(after: 0, through: 20, limit: 100).map(\.sequence) == Array(1...20))

        for sequence in UInt64(21)...60 {
            store.enqueue(.events([SQLiteEventStoreTests.event(sequence, .progressUpdated, workflowID: "wf-other")]))
        }
        store.flush()
        let oldest = try #require(store.oldestStoredSequence)
        #expect(oldest > 5)
        #expect(try store.events(after: oldest - 1, through: 60, limit: 100).map(\.sequence) == Array(oldest...60))
    }

    @Test("a store let go of without a flush commits what was queued before it goes")
    func droppedWithoutFlush() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        var store: SQLiteEventStore? = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        store!.enqueue(.events((1...500).map { SQLiteEventStoreTests.event($0, .progressUpdated) }))
        store = nil
        // The writer holds the store until the queue is committed; then the lock is free.
        var reopened: SQLiteEventStore?
        for _ in 0..<500 where reopened == nil {
            reopened = try? SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
            if reopened == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let events = try #require(reopened).events(after: 0, through: 500, limit: 1_000)
        #expect(events.map(\.sequence) == Array(1...500))
    }

    @Test("a v2 file's steps move into events: those whose events were pruned get their stepLogged event back from the step and its workflow; the oldest whole sequence is kept")
    func migrationFromV2() throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var workflow = SQLiteEventStoreTests.runningWorkflow(id: "wf-keep")
        workflow.userID = "ada"
        let jobRef = JobRef(id: workflow.jobs[0].id, name: workflow.jobs[0].name, position: 0)
        let stepEvents = (UInt64(1)...4).map { sequence in
            var event = SQLiteEventStoreTests.event(sequence, workflowID: "wf-keep", job: jobRef)
            event.userID = "ada"
            event.level = .info
            event.message = event.step!.message
            event.timestampMs = event.step!.timestampMs
            event.attempt = event.step!.attempt
            return event
        }
        do {
            let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
            try StoreSchema.migrator.migrate(queue, upTo: "v2")
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO workflows (id, first_sequence, status, finished_at_ms, body) VALUES (?, 1, 'RUNNING', NULL, ?)",
                    arguments: [workflow.id, Data(RecordCodec.encode(workflow))]
                )
                for event in stepEvents {
                    try db.execute(
                        sql: "INSERT INTO events (sequence, workflow_id, timestamp_ms, body) VALUES (?, ?, ?, ?)",
                        arguments: [Int64(event.sequence), event.workflowID, event.timestampMs, Data(RecordCodec.encode(event))]
                    )
                    try db.execute(
                        sql: "INSERT INTO steps (sequence, workflow_id, job_position, body) VALUES (?, ?, 0, ?)",
                        arguments: [Int64(event.sequence), event.workflowID, Data(RecordCodec.encode(event.step!))]
                    )
                }
                let other = SQLiteEventStoreTests.event(5, .progressUpdated, workflowID: "wf-other")
                try db.execute(
                    sql: "INSERT INTO events (sequence, workflow_id, timestamp_ms, body) VALUES (5, 'wf-other', ?, ?)",
                    arguments: [other.timestampMs, Data(RecordCodec.encode(other))]
                )
                // Pruned by v2: the events of the first two steps, not the steps.
                try db.execute(sql: "DELETE FROM events WHERE sequence < 3")
            }
        }

        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        #expect(store.oldestStoredSequence == 3)
        #expect(try store.events(after: 0, through: 5, limit: 10).map(\.sequence) == [3, 4, 5])
        #expect(try store.steps(ofWorkflow: "wf-keep", through: .max, jobIDs: []).map(\.step) == stepEvents.map { $0.step! })
        let recovered = try store.recover()
        #expect(recovered.lastSequence == 5)
        #expect(recovered.workflows.first?.workflow.jobs[0].steps == stepEvents.map { $0.step! })
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        let restored = try SQLiteEventStoreTests.storedEvents(in: queue).filter { $0.sequence < 3 }
        #expect(restored == Array(stepEvents.prefix(2)))
        #expect(try queue.read { db in try Bool.fetchOne(db, sql: "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'steps'") } == true)
    }
}
