import RPCCore
import Synchronization
import WorkflowEngine
import WorkflowMessages

/// One worker's `Connect` stream: hands the worker's hello, reports and heartbeats to the
/// engine, and streams back the welcome, assignments, cancellations, and each report's
/// acknowledgement (once durable) or refusal, in the order the engine produced them.
///
/// The transport calls it on the event loop that runs the engine, so every engine call is a
/// plain function call; acknowledgements arrive from the store's committing thread, hence the
/// lock around the outbox.
final class WorkerStreamCall: RequestStreamHandler {
    private struct State {
        /// Serialized `ServerMessage`s waiting for the transport.
        var outbox: [[UInt8]] = []
        /// Acknowledgements waiting for their report to be durable.
        var pendingAcks = 0
        /// The worker finished sending (or the call ended with an error): finish once the
        /// outbox and the pending acknowledgements are done.
        var ending: RPCStatus?
        /// The call is over: nothing more is queued.
        var closed = false
    }

    private let engine: WorkflowEngine
    private let waker: StreamWaker
    private let state = Mutex(State())
    /// Set by the hello, cleared on disconnect.
    // Safe without a lock: only `receive`, `requestsEnded` and `cancel` touch it, and the
    // transport calls all three on the connection's event loop, which is the engine's (checked
    // by `onEngine` on every path that sets it); the store's thread never reads it.
    private nonisolated(unsafe) var sessionID: UInt64?

    init(engine: WorkflowEngine, waker: StreamWaker) {
        self.engine = engine
        self.waker = waker
    }

    func receive(_ bytes: [UInt8]) throws(RPCStatus) {
        let message = try WorkflowV1.WorkerMessage(request: bytes)
        switch message.message {
        case .hello(let hello):
            try connect(hello)
        case .report(let report):
            guard let sessionID else { throw Self.helloFirst }
            handle(report, sessionID: sessionID)
        case .heartbeat(let heartbeat):
            guard let sessionID else { throw Self.helloFirst }
            let leases = heartbeat.leases.map(LeaseToken.init)
            let draining = heartbeat.draining
            onEngine { $0.heartbeat(sessionID: sessionID, leases: leases, draining: draining) }
        case nil:
            throw RPCStatus(code: .invalidArgument, message: "WorkerMessage sets none of hello, report, heartbeat")
        }
    }

    func requestsEnded() {
        disconnect()
        state.withLock { state in
            if state.ending == nil { state.ending = .ok }
        }
        waker()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        state.withLock { state in
            for message in state.outbox {
                output.append(message: message)
            }
            state.outbox.removeAll(keepingCapacity: true)
            if let ending = state.ending, state.pendingAcks == 0 {
                state.closed = true
                return .finished(ending)
            }
            return .pending
        }
    }

    func cancel() {
        state.withLock { state in
            state.closed = true
            state.outbox.removeAll()
        }
        disconnect()
    }

    private static let helloFirst = RPCStatus(code: .failedPrecondition, message: "the first WorkerMessage must be hello")

    private func connect(_ hello: WorkflowV1.WorkerHello) throws(RPCStatus) {
        guard sessionID == nil else {
            throw RPCStatus(code: .failedPrecondition, message: "hello was already sent on this stream")
        }
        let registration = WorkerRegistration(hello)
        let welcome: WorkerWelcome
        do throws(EngineError) {
            welcome = try onEngine { engine throws(EngineError) in
                try engine.connectWorker(registration) { [weak self] delivery in
                    self?.send(WorkflowV1.ServerMessage(delivery))
                }
            }
        } catch {
            throw RPCStatus(error)
        }
        sessionID = welcome.sessionID
        let message = WorkflowV1.ServerMessage(
            message: .welcome(
                WorkflowV1.WorkerWelcome(
                    heartbeatIntervalMs: welcome.heartbeatInterval.wholeMilliseconds,
                    resumedLeases: welcome.resumedLeases.map { WorkflowV1.ReportAck(lease: WorkflowV1.LeaseToken($0.lease), sequence: $0.acceptedReports) }
                )
            )
        )
        // The engine may have pushed cancellations and assignments while registering: the
        // welcome goes before them.
        state.withLock { state in
            guard !state.closed else { return }
            state.outbox.insert(message.serializedBytes(), at: 0)
        }
        waker()
    }

    private func handle(_ message: WorkflowV1.JobReport, sessionID: UInt64) {
        let token = message.lease.map(LeaseToken.init)
        do throws(EngineError) {
            let report = try WorkerReport(message)
            let applied = try onEngine { engine throws(EngineError) in
                try engine.report(report, fromSession: sessionID)
            }
            state.withLock { $0.pendingAcks += 1 }
            let lease = WorkflowV1.LeaseToken(report.lease)
            applied.whenDurable { [self] in
                let ack = WorkflowV1.ServerMessage(message: .ack(WorkflowV1.ReportAck(lease: lease, sequence: applied.value)))
                state.withLock { state in
                    state.pendingAcks -= 1
                    guard !state.closed else { return }
                    state.outbox.append(ack.serializedBytes())
                }
                waker()
            }
        } catch {
            let status = RPCStatus(error)
            send(
                WorkflowV1.ServerMessage(
                    message: .refusal(
                        WorkflowV1.ReportRefusal(
                            lease: token.map(WorkflowV1.LeaseToken.init),
                            sequence: message.sequence,
                            code: Int32(status.code.rawValue),
                            message: status.message
                        )
                    )
                )
            )
        }
    }

    /// Queues `message` for the worker and wakes the transport.
    private func send(_ message: WorkflowV1.ServerMessage) {
        let queued = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.outbox.append(message.serializedBytes())
            return true
        }
        if queued {
            waker()
        }
    }

    /// Tells the engine the worker's connection is gone (once).
    private func disconnect() {
        guard let sessionID else { return }
        self.sessionID = nil
        onEngine { $0.disconnectWorker(sessionID: sessionID) }
    }

    private func onEngine<T: Sendable, Failure: Error>(
        _ operation: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T {
        guard let result = try engine.ifIsolated(operation) else {
            preconditionFailure("WorkerStreamCall must run on its engine's event loop (see WorkflowServer)")
        }
        return result
    }
}
