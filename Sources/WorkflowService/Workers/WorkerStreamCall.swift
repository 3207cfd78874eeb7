import AccessControl
import RPCCore
import Synchronization
import WorkflowEngine
import WorkflowMessages

/// One worker's `Connect` stream: hands the worker's hello, reports and heartbeats to the
/// engine, and streams back the welcome, assignments, cancellations, and each report's
/// acknowledgement or refusal, in the order the engine produced them.
///
/// Every message waits in the outbox until the change it depends on is durable (a message
/// that waits holds back those after it), so a worker never acts on something a crash could
/// erase: an acknowledgement on a report that is not on disk, an assignment whose lease epoch
/// could be given again. The outbox is bounded: a worker that stops reading while the server
/// keeps producing is ended with RESOURCE_EXHAUSTED.
///
/// The transport calls it on its connection's event loop, and every engine call is a plain
/// function call (``WorkflowEngine/fromHandler(_:)``); the engine delivers from whichever
/// thread holds it and durability wake-ups arrive from the store's committing thread, hence
/// the lock around the outbox and the session.
final class WorkerStreamCall: RequestStreamHandler {
    /// The most bytes waiting for the worker before the stream is ended.
    static let maxQueuedBytes = 16 << 20

    /// A serialized `ServerMessage` and the change it waits for.
    private struct Outgoing {
        var bytes: [UInt8]
        var durability: DurableResult<Void>?
    }

    private struct State {
        /// Messages not yet handed to the transport, oldest first from `head`.
        var outbox: [Outgoing] = []
        var head = 0
        var queuedBytes = 0
        /// The worker finished sending (or the call ended with an error): finish once the
        /// outbox is empty.
        var ending: RPCStatus?
        /// The call is over: nothing more is queued.
        var closed = false
        /// Set by the hello, cleared on disconnect.
        var sessionID: UInt64?
    }

    private let engine: WorkflowEngine
    /// Who connected: the queues of its hello must be ones it may serve, and its credentials
    /// must still stand at every message in and out (a revoked token ends the stream, and the
    /// engine then forgets the worker).
    private let credentials: CallerCheck
    private let waker: StreamWaker
    private let state = Mutex(State())

    init(engine: WorkflowEngine, credentials: CallerCheck, waker: StreamWaker) {
        self.engine = engine
        self.credentials = credentials
        self.waker = waker
    }

    func receive(_ bytes: [UInt8]) throws(RPCStatus) {
        if let revoked = credentials.revocation() {
            throw revoked
        }
        let message = try WorkflowV1.WorkerMessage(request: bytes)
        let sessionID = state.withLock { $0.sessionID }
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
            do throws(EngineError) {
                try onEngine { engine throws(EngineError) in try engine.heartbeat(sessionID: sessionID, leases: leases, draining: draining) }
            } catch {
                throw RPCStatus(error)
            }
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
        // A silent worker is checked too before anything (an assignment) is sent to it.
        if let revoked = credentials.revocation() {
            state.withLock { $0.closed = true }
            disconnect()
            return .finished(revoked)
        }
        let production = state.withLock { state -> StreamProduction in
            while state.head < state.outbox.count, !output.isFull {
                let next = state.outbox[state.head]
                if let durability = next.durability, !durability.isDurable {
                    return .pending  // its durability wakes the stream
                }
                output.append(message: next.bytes)
                state.queuedBytes -= next.bytes.count
                state.head += 1
            }
            if state.head == state.outbox.count {
                state.outbox.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 1_024 {
                state.outbox.removeFirst(state.head)
                state.head = 0
            }
            if !state.outbox.isEmpty {
                return .more
            }
            if let ending = state.ending {
                state.closed = true
                return .finished(ending)
            }
            return .pending
        }
        if case .finished = production {
            // The transport calls nothing more after this: the worker is gone for the engine
            // too (also when the stream ends on an overflow, not on the worker's end).
            disconnect()
        }
        return production
    }

    func cancel() {
        state.withLock { state in
            state.closed = true
            state.outbox.removeAll()
            state.head = 0
            state.queuedBytes = 0
        }
        disconnect()
    }

    private static let helloFirst = RPCStatus(code: .failedPrecondition, message: "the first WorkerMessage must be hello")

    private func connect(_ hello: WorkflowV1.WorkerHello) throws(RPCStatus) {
        guard state.withLock({ $0.sessionID }) == nil else {
            throw RPCStatus(code: .failedPrecondition, message: "hello was already sent on this stream")
        }
        let caller = credentials.caller
        if let refused = hello.queues.first(where: { !caller.mayServe(queue: $0) }) {
            throw RPCStatus(
                code: .permissionDenied,
                message: "queues: \(caller.subject) may not serve queue \"\(refused)\" (its roles: \(caller.roleNames.joined(separator: ", ")))"
            )
        }
        let registration = WorkerRegistration(hello)
        let welcome: DurableResult<WorkerWelcome>
        do throws(EngineError) {
            welcome = try onEngine { engine throws(EngineError) in
                try engine.connectWorker(registration) { [weak self] delivery, durability in
                    self?.send(WorkflowV1.ServerMessage(delivery), after: durability)
                }
            }
        } catch {
            throw RPCStatus(error)
        }
        let message = WorkflowV1.ServerMessage(
            message: .welcome(
                WorkflowV1.WorkerWelcome(
                    heartbeatIntervalMs: welcome.value.heartbeatInterval.wholeMilliseconds,
                    resumedLeases: welcome.value.resumedLeases.map {
                        WorkflowV1.ReportAck(lease: WorkflowV1.LeaseToken($0.lease), sequence: $0.acceptedReports)
                    }
                )
            )
        )
        // The engine may have pushed cancellations and assignments while registering: the
        // welcome goes before them (it is durable no later than they are).
        let durability = welcome.replacingValue(with: ())
        let bytes = message.serializedBytes()
        state.withLock { state in
            state.sessionID = welcome.value.sessionID
            guard !state.closed else { return }
            state.outbox.insert(Outgoing(bytes: bytes, durability: durability), at: state.head)
            state.queuedBytes += bytes.count
        }
        wake(after: durability)
    }

    /// Applies a report and queues its acknowledgement or refusal while still on the engine,
    /// so it reaches the worker before anything the engine sends it afterwards (an assignment,
    /// a cancellation) from another thread.
    private func handle(_ message: WorkflowV1.JobReport, sessionID: UInt64) {
        let report: WorkerReport
        do throws(EngineError) {
            report = try WorkerReport(message)
        } catch {
            return refuse(message, RPCStatus(error))
        }
        onEngine { engine in
            do throws(EngineError) {
                let applied = try engine.report(report, fromSession: sessionID)
                let ack = WorkflowV1.ReportAck(lease: WorkflowV1.LeaseToken(report.lease), sequence: applied.value)
                send(WorkflowV1.ServerMessage(message: .ack(ack)), after: applied.replacingValue(with: ()))
            } catch {
                refuse(message, RPCStatus(error))
            }
        }
    }

    /// Queues the refusal of `message` with `status`.
    private func refuse(_ message: WorkflowV1.JobReport, _ status: RPCStatus) {
        let refusal = WorkflowV1.ReportRefusal(
            lease: message.lease,
            sequence: message.sequence,
            code: Int32(status.code.rawValue),
            message: status.message
        )
        send(WorkflowV1.ServerMessage(message: .refusal(refusal)), after: nil)
    }

    /// Queues `message` for the worker, to go once `durability` is durable, and wakes the
    /// transport. A worker that lets too much pile up unread is dropped: the outbox is emptied,
    /// the stream ends with RESOURCE_EXHAUSTED once the transport can send again, and the
    /// engine forgets the worker at once (its leases then expire unless it reconnects), so no
    /// more work is pushed into a stream nobody reads.
    private func send(_ message: WorkflowV1.ServerMessage, after durability: DurableResult<Void>?) {
        let bytes = message.serializedBytes()
        let outcome = state.withLock { state -> (queued: Bool, droppedSession: UInt64?) in
            guard !state.closed, state.ending == nil else { return (false, nil) }
            guard state.queuedBytes + bytes.count <= Self.maxQueuedBytes else {
                state.outbox.removeAll()
                state.head = 0
                state.queuedBytes = 0
                state.ending = RPCStatus(
                    code: .resourceExhausted,
                    message: "the worker let more than \(Self.maxQueuedBytes >> 20) MiB of server messages pile up unread"
                )
                defer { state.sessionID = nil }
                return (true, state.sessionID)
            }
            state.outbox.append(Outgoing(bytes: bytes, durability: durability))
            state.queuedBytes += bytes.count
            return (true, nil)
        }
        if let sessionID = outcome.droppedSession {
            // Called from inside the engine (a dispatch): leave it first, then disconnect.
            let engine = self.engine
            Task { await engine.disconnectWorker(sessionID: sessionID) }
        }
        if outcome.queued {
            wake(after: durability)
        }
    }

    /// Wakes the transport now, and again once `durability` is durable.
    ///
    /// Whether the change is durable is read before the first wake-up: the transport may
    /// produce during it and find the message not yet durable, and the commit may land right
    /// after; read only afterwards, it would skip the second wake-up and strand the message in
    /// the outbox until something else woke the stream. `whenDurable` calls back at once for a
    /// change that became durable meanwhile.
    private func wake(after durability: DurableResult<Void>?) {
        let wasDurable = durability?.isDurable ?? true
        waker()
        if let durability, !wasDurable {
            durability.whenDurable { [waker] in waker() }
        }
    }

    /// Tells the engine the worker's connection is gone (once).
    private func disconnect() {
        let session = state.withLock { state in
            defer { state.sessionID = nil }
            return state.sessionID
        }
        guard let sessionID = session else { return }
        onEngine { $0.disconnectWorker(sessionID: sessionID) }
    }

    /// Runs `operation` on the engine with a plain function call (see ``WorkflowEngine/fromHandler(_:)``).
    private func onEngine<T: Sendable, Failure: Error>(
        _ operation: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T {
        try engine.fromHandler(operation)
    }
}
