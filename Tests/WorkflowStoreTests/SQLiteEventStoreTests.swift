import Foundation
import GRDB
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowStore

@Suite("SQLiteEventStore")
struct SQLiteEventStoreTests {
    static let logger = Logger(label: "workflow-store-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Every event the file's chunks hold, in order, read with no store open.
    static func storedEvents(in queue: DatabaseQueue) throws -> [WorkflowModel.LogEvent] {
        try queue.read { db in
            var events: [WorkflowModel.LogEvent] = []
            for body in try Data.fetchAll(db, sql: "SELECT body FROM event_chunks ORDER BY first_sequence") {
                let bytes = [UInt8](body)
                try EventChunk.forEachRecord(in: bytes) { _, record in
                    events.append(try RecordCodec.decodeEvent(bytes, in: record))
                    return true
                }
            }
            return events
        }
    }

    /// A fresh data directory under the system's temporary directory.
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("workflow-store-\(UUID().uuidString)").path
    }

    static func event(_ sequence: UInt64, _ kind: LogEventKind = .stepLogged, workflowID: String = "wf-a", job: JobRef? = nil) -> WorkflowModel.LogEvent {
        var event = WorkflowModel.LogEvent(
            sequence: sequence, timestampMs: 1_000 + Int64(sequence), kind: kind, level: .info,
            message: "event \(sequence)", workflowID: workflowID, workflowType: "TEST", job: job
        )
        if kind == .stepLogged, let job {
            event.step = Step(id: "\(job.id)-s\(sequence)", message: "step \(sequence)", timestampMs: 0, sequence: sequence)
        }
        return event
    }

    /// A running TEST workflow of three jobs, the first running.
    static func runningWorkflow(id: String = "wf-0000000000AA") -> Workflow {
        var workflow = Workflow(
            id: id, type: "TEST", status: .running, createdAtMs: 1_000, startedAtMs: 1_000,
            params: ["jobs": "3", "steps": "5"],
            jobs: [
                Job(id: "\(id)-j1", name: "Fetch", position: 0),
                Job(id: "\(id)-j2", name: "Process", position: 1),
                Job(id: "\(id)-j3", name: "Validate", position: 2),
            ],
            requestID: "request-1"
        )
        workflow.jobs[0].status = .running
        return workflow
    }

    @Test("events round-trip through the file, and the commit handler sees the newest sequence")
    func roundTrip() throws {
        let store = try SQLiteEventStore(configuration: .init(directory: Self.temporaryDirectory()), logger: Self.logger)
        let committed = CommittedSequence()
        store.setCommitHandler { committed.set($0) }
        let job = JobRef(id: "wf-a-j1", name: "Fetch", position: 0)
        store.enqueue(.events((1...5).map { Self.event($0, job: job) }))
        store.flush()

        #expect(committed.value == 5)
        #expect(store.oldestStoredSequence == 1)
        let events = try store.events(after: 1, through: 4, limit: 10)
        #expect(events == (2...4).map { Self.event($0, job: job) })
        #expect(try store.events(after: 0, through: 5, limit: 2).map(\.sequence) == [1, 2])
    }

    @Test("restore records the running job's attempt as interrupted and, with no attempt left, fails the workflow there and continues the sequence")
    func restoreResolvesInterruptedWorkflows() async throws {
        let directory = Self.temporaryDirectory()
        let workflow = Self.runningWorkflow()
        let job = JobRef(id: workflow.jobs[0].id, name: "Fetch", position: 0)
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
            store.enqueue(.workflow(workflow, firstSequence: 1))
            store.enqueue(.events([Self.event(1, .workflowStarted, workflowID: workflow.id), Self.event(2, .jobStarted, workflowID: workflow.id, job: job)]))
            store.enqueue(.events([Self.event(3, workflowID: workflow.id, job: job), Self.event(4, workflowID: workflow.id, job: job)]))
            store.flush()
        }

        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: Self.logger)
        let restored = try await engine.restore()
        #expect(restored.workflows == 1)
        #expect(restored.resumed == 1)

        let failed = try await engine.workflow(id: workflow.id)
        #expect(failed.status == .failed)
        #expect(failed.error == "interrupted: the server stopped while attempt 1 ran (a crash, a kill or a power loss)")
        #expect(failed.failedJobName == "Fetch")
        #expect(failed.jobs.map(\.status) == [.failed, .cancelled, .cancelled])
        #expect(failed.jobs[0].steps.map(\.sequence) == [3, 4])
        #expect(failed.jobs[0].failedAttempts.map(\.outcome) == [.interrupted])
        #expect(failed.jobs[0].failedAttempts.map(\.errorCode) == ["INTERRUPTED"])

        store.flush()
        let tail = try store.events(after: 4, through: 100, limit: 100)
        #expect(tail.map(\.kind) == [.jobInterrupted, .jobFailed, .jobCancelled, .jobCancelled, .failureNotice, .workflowFailed])
        #expect(tail.map(\.sequence) == [5, 6, 7, 8, 9, 10])
        #expect(engine.events.lastSequence == 10)

        // The request id is recognised again, and a retry resumes from the interrupted job.
        let again = try await engine.start(WorkflowRequest(type: "TEST", params: workflow.params, requestID: "request-1")).value
        #expect(again.id == workflow.id)
        let (retried, resumed) = try await engine.retry(id: workflow.id).value
        #expect(retried.attempt == 2)
        #expect(resumed.name == "Fetch")
        await engine.shutdown()
    }

    @Test("the oldest events beyond the retention are pruned in order, leaving a contiguous tail")
    func pruning() async throws {
        let store = try SQLiteEventStore(configuration: .init(directory: Self.temporaryDirectory(), eventRetention: 10), logger: Self.logger)
        for sequence in UInt64(1)...100 {
            store.enqueue(.events([Self.event(sequence)]))
            if sequence % 7 == 0 { store.flush() }
        }
        store.flush()
        let oldest = try #require(store.oldestStoredSequence)
        #expect(oldest > 1 && oldest <= 91)
        #expect(try store.events(after: oldest - 1, through: 100, limit: 1_000).map(\.sequence) == Array(oldest...100))
    }

    @Test("a filtered read examines events in order and stops at its scan limit or after its limit of matches, saying what it examined")
    func eventsOfOneWorkflow() throws {
        let store = try SQLiteEventStore(configuration: .init(directory: Self.temporaryDirectory(), eventRetention: 10), logger: Self.logger)
        // Three workflows interleaved: wf-a at 1, 4, 7, …; wf-b at 2, 5, …; wf-c at 3, 6, ….
        let workflows = ["wf-c", "wf-a", "wf-b"]
        store.enqueue(.events((UInt64(1)...30).map { Self.event($0, workflowID: workflows[Int($0 % 3)]) }))
        store.flush()
        let oldest: UInt64 = try #require(store.oldestStoredSequence)
        let storedOfB: [UInt64] = (oldest...30).filter { $0 % 3 == 2 }

        let scan = try store.events(after: oldest - 1, through: 30, matching: EventFilter(workflowID: "wf-b"), scanLimit: 7, limit: 100)
        let seventh: UInt64 = oldest + 6
        #expect(scan.scanned == oldest...seventh)
        #expect(scan.events.map(\.sequence) == storedOfB.filter { $0 <= seventh })
        #expect(scan.events.allSatisfy { $0.workflowID == "wf-b" && $0.message == "event \($0.sequence)" })

        let limited = try store.events(after: oldest - 1, through: 30, matching: EventFilter(workflowID: "wf-b"), scanLimit: 100, limit: 2)
        #expect(limited.events.map(\.sequence) == Array(storedOfB.prefix(2)))
        #expect(limited.scanned == oldest...storedOfB[1])

        let third: UInt64 = oldest + 2
        let none = try store.events(after: oldest - 1, through: third, matching: EventFilter(workflowID: "wf-x"), scanLimit: 100, limit: 10)
        #expect(none == StoredEventScan(events: [], scanned: oldest...third))
        let beyond = try store.events(after: 30, through: 40, matching: EventFilter(workflowID: "wf-a"), scanLimit: 100, limit: 10)
        #expect(beyond == StoredEventScan(events: [], scanned: nil))
        let everything = try store.events(after: oldest - 1, through: 30, matching: .all, scanLimit: 3, limit: 100)
        #expect(everything.events.map(\.sequence) == [oldest, oldest + 1, oldest + 2])
        let otherKinds = try store.events(
            after: oldest - 1, through: 30, matching: EventFilter(workflowID: "wf-b", kinds: [.jobStarted]), scanLimit: 100, limit: 1
        )
        #expect(otherKinds == StoredEventScan(events: [], scanned: oldest...30), "the limit counts events that pass the whole filter")
        // Below the oldest whole sequence nothing is examined: the scan starts at it.
        let fromZero = try store.events(after: 0, through: 30, matching: EventFilter(workflowID: "wf-a"), scanLimit: 1, limit: 10)
        #expect(fromZero.scanned == oldest...oldest)
    }

    @Test("a scan for one workflow never decodes another's events: a record no decoder accepts past another workflow's ID is passed over")
    func eventsOfOneWorkflowSkipOtherBodies() throws {
        let directory = Self.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        store.enqueue(.events((UInt64(1)...6).map { Self.event($0, workflowID: $0.isMultiple(of: 2) ? "wf-b" : "wf-a") }))
        store.flush()
        // Every field of wf-a's records after its workflow's ID becomes bytes no decoder accepts.
        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        try queue.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT first_sequence, body FROM event_chunks") {
                var body = [UInt8](row[1] as Data)
                try EventChunk.forEachRecord(in: body) { _, record in
                    guard try RecordCodec.isEvent(body, in: record, ofWorkflow: Array("wf-a".utf8)) else { return true }
                    var header = BinaryReader(body, in: record)
                    try RecordCodec.skipToWorkflowID(&header)
                    try header.skipString()
                    for index in header.position..<record.upperBound { body[index] = 0xFF }
                    return true
                }
                try db.execute(sql: "UPDATE event_chunks SET body = ? WHERE first_sequence = ?", arguments: [Data(body), row[0] as Int64])
            }
        }

        let scan = try store.events(after: 0, through: 6, matching: EventFilter(workflowID: "wf-b"), scanLimit: 100, limit: 100)
        #expect(scan.events.map(\.sequence) == [2, 4, 6])
        #expect(scan.scanned == 1...6)
        #expect(throws: (any Error).self) { try store.events(after: 0, through: 6, limit: 100) }
    }

    @Test("a file that is not a database is refused with its path, never reset")
    func corruptFile() throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/workflows.sqlite"
        let garbage = Data(repeating: 0x42, count: 8_192)
        try garbage.write(to: URL(fileURLWithPath: path))

        let error = #expect(throws: StoreError.self) {
            _ = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        }
        #expect(error?.description.contains(path) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test("a second store on the same directory is refused while the first is open")
    func exclusiveDirectory() throws {
        let directory = Self.temporaryDirectory()
        let first = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        #expect(throws: StoreError.self) {
            _ = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        }
        withExtendedLifetime(first) {}
    }

    @Test("a job's progress is kept for recovery while it runs: one that ends in the same commit leaves no row, one that goes on keeps its newest")
    func progressOfEndedJobsIsNotKept() throws {
        let directory = Self.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        let ending = JobRef(id: "wf-a-j1", name: "Fetch", position: 0)
        let running = JobRef(id: "wf-a-j2", name: "Process", position: 1)
        func progress(_ sequence: UInt64, _ job: JobRef, _ value: Double) -> WorkflowModel.LogEvent {
            var event = Self.event(sequence, .progressUpdated, job: job)
            event.progress = value
            event.progressMessage = "at \(value)"
            return event
        }
        var completed = Self.event(3, .jobCompleted, job: ending)
        completed.jobStatus = .completed
        store.enqueue(.events([progress(1, ending, 0.5), progress(2, running, 0.25), completed, progress(4, running, 0.75)]))
        store.flush()

        let queue = try DatabaseQueue(path: directory + "/workflows.sqlite")
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT job_id, progress, message FROM progress") }
        #expect(rows.count == 1)
        #expect(rows.first?["job_id"] == running.id)
        #expect(rows.first?["progress"] == 0.75)
        #expect(rows.first?["message"] == "at 0.75")
        withExtendedLifetime(store) {}
    }

    @Test("a job's new attempt leaves no earlier attempt's progress for recovery: it restarts from its snapshot's, then its own")
    func newAttemptDropsEarlierProgress() throws {
        let directory = Self.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
        var workflow = Self.runningWorkflow()
        let job = JobRef(id: workflow.jobs[0].id, name: workflow.jobs[0].name, position: 0)
        func progress(_ sequence: UInt64, _ value: Double) -> WorkflowModel.LogEvent {
            var event = Self.event(sequence, .progressUpdated, workflowID: workflow.id, job: job)
            event.progress = value
            event.progressMessage = "at \(value)"
            return event
        }
        func recoveredJob() throws -> Job {
            try #require(store.recover().workflows.first { $0.workflow.id == workflow.id }).workflow.jobs[0]
        }
        store.enqueue(contentsOf: [.workflow(workflow, firstSequence: 1), .events([progress(1, 0.5)])])
        store.flush()
        #expect(try recoveredJob().progress == 0.5)

        workflow.jobs[0].attempt = 2
        var started = Self.event(2, .jobStarted, workflowID: workflow.id, job: job)
        started.jobStatus = .running
        started.attempt = 2
        store.enqueue(contentsOf: [.workflow(workflow, firstSequence: 1), .events([started])])
        store.flush()
        let restarted = try recoveredJob()
        #expect(restarted.progress == 0 && restarted.progressMessage == "")

        store.enqueue(.events([progress(3, 0.25)]))
        store.flush()
        #expect(try recoveredJob().progress == 0.25)
    }
}
