import Foundation
import Synchronization
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// A worker's lease across a restart of the engine on the real SQLite file.
@Suite("Remote leases across a restart")
struct RemoteLeaseResumeTests {
    static let logger = SQLiteEventStoreTests.logger

    static let templates: TemplateRegistry = {
        var registry = TemplateRegistry.builtIn
        registry.register(
            WorkflowTemplate(
                type: "MIXED",
                jobs: [
                    JobDefinition(name: "Fetch") { _ in },
                    JobDefinition(name: "Process", remote: RemoteJob(queue: "q", heartbeatTimeout: .seconds(30))),
                    JobDefinition(name: "Save") { _ in },
                ]
            )
        )
        return registry
    }()

    /// The assignments a worker received.
    final class Assignments: Sendable {
        let received = Mutex<[JobAssignment]>([])

        var current: [JobAssignment] {
            received.withLock { $0 }
        }

        func append(_ assignment: JobAssignment) {
            received.withLock { $0.append(assignment) }
        }
    }

    /// Connects a worker and returns its session and the assignments it receives.
    static func connect(
        _ engine: WorkflowEngine, holding held: [LeaseToken] = []
    ) async throws -> (welcome: WorkerWelcome, assignments: Assignments) {
        let assignments = Assignments()
        let registration = WorkerRegistration(worker: WorkerRef(name: "py", instanceID: "i-1"), queues: ["q"], slots: 1, heldLeases: held)
        let welcome = try await engine.connectWorker(registration) { delivery, _ in
            if case .assignment(let assignment) = delivery {
                assignments.append(assignment)
            }
        }.value
        return (welcome, assignments)
    }

    /// Opens the store in `directory`, waiting for the previous store's lock to go.
    static func reopen(_ directory: String) async throws -> SQLiteEventStore {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            if let store = try? SQLiteEventStore(configuration: .init(directory: directory), logger: logger) {
                return store
            }
            guard ContinuousClock.now < deadline else {
                return try SQLiteEventStore(configuration: .init(directory: directory), logger: logger)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("a shutdown leaves a worker's lease alone; the next engine gives it back to the reconnecting worker, whose acknowledged report is not applied twice")
    func leaseSurvivesRestart() async throws {
        let directory = SQLiteEventStoreTests.temporaryDirectory()
        let id: String
        let lease: LeaseToken
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: Self.logger)
            // The test's worker does not heartbeat: a long interval keeps it eligible.
            let engine = WorkflowEngine(templates: Self.templates, store: store, workerHeartbeatInterval: .seconds(60), logger: Self.logger)
            try await engine.restore()
            let (firstWelcome, assignments) = try await Self.connect(engine)
            id = try await engine.start(WorkflowRequest(type: "MIXED")).value.id
            let deadline = ContinuousClock.now + .seconds(10)
            while assignments.current.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            lease = try #require(assignments.current.first?.lease)
            let applied = try await engine.report(
                WorkerReport(lease: lease, sequence: 1, updates: [.step(message: "one", level: .info, entity: nil, timestampMs: 0)]),
                fromSession: firstWelcome.sessionID
            )
            await withCheckedContinuation { continuation in applied.whenDurable { continuation.resume() } }
            await engine.shutdown(gracePeriod: .zero)
            store.flush()
        }
        let store = try await Self.reopen(directory)
        let engine = WorkflowEngine(templates: Self.templates, store: store, workerHeartbeatInterval: .seconds(60), logger: Self.logger)
        #expect(try await engine.restore().resumed == 1)
        let restored = try await engine.workflow(id: id)
        #expect(restored.jobs[1].status == .running && restored.jobs[1].lease == JobLease(epoch: lease.epoch, acceptedReports: 1))
        #expect(restored.jobs[1].worker == WorkerRef(name: "py", instanceID: "i-1"))

        let (welcome, _) = try await Self.connect(engine, holding: [lease])
        #expect(welcome.resumedLeases.map(\.lease) == [lease] && welcome.resumedLeases.first?.acceptedReports == 1)
        let again = WorkerReport(lease: lease, sequence: 1, updates: [.step(message: "one", level: .info, entity: nil, timestampMs: 0)])
        #expect(try await engine.report(again, fromSession: welcome.sessionID).value == 1)
        _ = try await engine.report(WorkerReport(lease: lease, sequence: 2, end: .completed(outputs: [:])), fromSession: welcome.sessionID)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await engine.workflow(id: id).status == .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        let finished = try await engine.workflow(id: id)
        #expect(finished.status == .completed)
        #expect(finished.jobs[1].steps.map(\.message) == ["one"])
        #expect(finished.jobs[1].attempt == 1 && finished.jobs[1].failedAttempts.isEmpty)
        store.flush()
        let events = try store.events(after: 0, through: 1_000_000, limit: 1_000).filter { $0.workflowID == id }
        #expect(!events.contains { $0.kind == .jobInterrupted })
        #expect(events.filter { $0.kind == .stepLogged && $0.job?.position == 1 }.count == 1)
        await engine.shutdown()
    }
}
