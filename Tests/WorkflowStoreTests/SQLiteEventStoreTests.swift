import Foundation
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

@Suite("SQLiteEventStore")
struct SQLiteEventStoreTests {
    static let logger = Logger(label: "workflow-store-tests", factory: { _ in SwiftLogNoOpLogHandler() })

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
}
