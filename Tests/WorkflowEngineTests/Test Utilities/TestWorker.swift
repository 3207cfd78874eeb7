import Testing
import WorkflowModel
@testable import WorkflowEngine

/// A worker connected to an engine in process: records what the engine pushes to it and
/// reports like a worker library would.
final class TestWorker: Sendable {
    let engine: WorkflowEngine
    let registration: WorkerRegistration
    private let deliveries = Box<[WorkerDelivery]>([])
    private let session = Box<UInt64?>(nil)

    init(_ engine: WorkflowEngine, name: String = "test-worker", instance: String, queues: [String] = ["q"], slots: Int = 1) {
        self.engine = engine
        self.registration = WorkerRegistration(worker: WorkerRef(name: name, instanceID: instance), queues: queues, slots: slots)
    }

    /// Registers with the engine; `held` are the leases it says it still runs.
    @discardableResult
    func connect(holding held: [LeaseToken] = []) async throws -> WorkerWelcome {
        var registration = registration
        registration.heldLeases = held
        let deliveries = self.deliveries
        let welcome = try await engine.connectWorker(registration) { delivery in
            deliveries.update { $0.append(delivery) }
        }
        session.update { $0 = welcome.sessionID }
        return welcome
    }

    func disconnect() async {
        guard let id = session.current else { return }
        await engine.disconnectWorker(sessionID: id)
    }

    var sessionID: UInt64 { session.current ?? 0 }

    /// Every assignment received so far, oldest first.
    var assignments: [JobAssignment] {
        deliveries.current.compactMap { if case .assignment(let assignment) = $0 { assignment } else { nil } }
    }

    /// Every cancellation received so far: the lease, and whether it had ended.
    var cancellations: [(lease: LeaseToken, leaseEnded: Bool)] {
        deliveries.current.compactMap { if case let .cancellation(lease, _, ended) = $0 { (lease, ended) } else { nil } }
    }

    /// Waits until it holds `count` assignments in all; records an issue after `timeout`.
    @discardableResult
    func awaitAssignments(_ count: Int, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JobAssignment] {
        try await awaitCondition("\(count) assignments", timeout: timeout, sourceLocation: sourceLocation) { $0.assignments.count >= count }
        return assignments
    }

    /// Polls until `condition` holds of this worker; records an issue after `timeout`.
    func awaitCondition(_ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation, _ condition: (TestWorker) -> Bool) async throws {
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
        let id = sessionID
        return try await engine.report(report, fromSession: id).value
    }
}
