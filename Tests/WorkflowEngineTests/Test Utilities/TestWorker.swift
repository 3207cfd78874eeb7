import Testing
import WorkflowModel
@testable import WorkflowEngine

/// A worker connected to an engine in process: records what the engine pushes to it and
/// reports like a worker library would. Like a real worker it heartbeats every 100 ms while
/// connected, naming the leases it was assigned and has not ended, unless made `silent`.
final class TestWorker: Sendable {
    let engine: WorkflowEngine
    let registration: WorkerRegistration
    private let deliveries = Box<[WorkerDelivery]>([])
    private let session = Box<UInt64?>(nil)
    private let heartbeats = Box<Task<Void, Never>?>(nil)
    private let ended = Box<Set<UInt64>>([])
    private let silent: Bool

    init(_ engine: WorkflowEngine, name: String = "test-worker", instance: String, queues: [String] = ["q"], slots: Int = 1, silent: Bool = false) {
        self.engine = engine
        self.registration = WorkerRegistration(worker: WorkerRef(name: name, instanceID: instance), queues: queues, slots: slots)
        self.silent = silent
    }

    deinit {
        heartbeats.current?.cancel()
    }

    /// Registers with the engine; `held` are the leases it says it still runs.
    @discardableResult
    func connect(holding held: [LeaseToken] = []) async throws -> WorkerWelcome {
        var registration = registration
        registration.heldLeases = held
        let deliveries = self.deliveries
        let welcome = try await engine.connectWorker(registration) { delivery, _ in
            deliveries.update { $0.append(delivery) }
        }.value
        session.update { $0 = welcome.sessionID }
        if !silent {
            let engine = self.engine
            let sessionID = welcome.sessionID
            heartbeats.update { task in
                task?.cancel()
                task = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(100))
                        try? await engine.heartbeat(sessionID: sessionID, leases: self.heldLeases)
                    }
                }
            }
        }
        return welcome
    }

    func disconnect() async {
        heartbeats.update { task in
            task?.cancel()
            task = nil
        }
        guard let id = session.current else { return }
        await engine.disconnectWorker(sessionID: id)
    }

    var sessionID: UInt64 { session.current ?? 0 }

    /// Every assignment received so far, oldest first.
    var assignments: [JobAssignment] {
        deliveries.current.compactMap { if case .assignment(let assignment) = $0 { assignment } else { nil } }
    }

    /// The leases it was assigned and neither ended nor was told ended.
    var heldLeases: [LeaseToken] {
        let over = ended.current.union(cancellations.filter(\.leaseEnded).map(\.lease.epoch))
        return assignments.map(\.lease).filter { !over.contains($0.epoch) }
    }

    /// Every cancellation received so far: the lease, and whether it had ended.
    var cancellations: [(lease: LeaseToken, leaseEnded: Bool)] {
        deliveries.current.compactMap { if case let .cancellation(lease, _, ended) = $0 { (lease, ended) } else { nil } }
    }

    /// Waits until it holds `count` assignments in all; records an issue after `timeout`.
    @discardableResult
    func awaitAssignments(_ count: Int, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JobAssignment] {
        try await awaitCondition("\(count) assignments", timeout: timeout, sourceLocation: sourceLocation) { $0.assignments.count >= count }
        return assignments
    }

    /// Polls until `condition` holds of this worker; records an issue after `timeout`.
    func awaitCondition(_ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation, _ condition: (TestWorker) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            guard ContinuousClock.now < deadline else {
                Issue.record("worker \(registration.worker.instanceID) never saw \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Sends one report under `lease`.
    @discardableResult
    func report(
        _ lease: LeaseToken, _ sequence: UInt64, updates: [WorkerReport.Update] = [], counters: [String: Int64] = [:],
        end: WorkerReport.End? = nil
    ) async throws(EngineError) -> UInt64 {
        let report = WorkerReport(lease: lease, sequence: sequence, updates: updates, counters: counters, end: end)
        if end != nil {
            ended.update { _ = $0.insert(lease.epoch) }
        }
        let id = sessionID
        return try await engine.report(report, fromSession: id).value
    }
}
