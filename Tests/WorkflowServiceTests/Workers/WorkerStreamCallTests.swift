import AccessControl
import EngineTestSupport
import Logging
import NIOCore
import NIOPosix
import RPCCore
import Synchronization
import Testing
import WorkflowEngine
import WorkflowMessages
import WorkflowModel
@testable import WorkflowService

private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Stands in for the HTTP/2 transport of one `Connect` stream: each wake-up pulls the call at
/// once, on the calling thread, as the transport does on the connection's loop when a stream
/// waits for its producer, and
/// keeps the messages it produced. It can commit the store in the middle of a wake-up, right
/// after a pull that found nothing durable to send: the moment the store's thread may commit
/// in production.
private final class InlineTransport: Sendable {
    private struct State {
        var call: WorkerStreamCall?
        var delivered: [WorkflowV1.ServerMessage] = []
        var commitAfterNextEmptyPull = false
        var commitsDuringPulls = 0
    }

    private let store: ManualStore
    // Sendable: all mutable state is in the Mutex.
    private let state = Mutex(State())

    init(store: ManualStore) {
        self.store = store
    }

    var waker: StreamWaker {
        StreamWaker { [self] in pull() }
    }

    func attach(_ call: WorkerStreamCall) {
        state.withLock { $0.call = call }
    }

    /// The next wake-up whose pull finds nothing to send commits the store before returning.
    func commitAfterNextEmptyPull() {
        state.withLock { $0.commitAfterNextEmptyPull = true }
    }

    var delivered: [WorkflowV1.ServerMessage] {
        state.withLock { $0.delivered }
    }

    var commitsDuringPulls: Int {
        state.withLock { $0.commitsDuringPulls }
    }

    private func pull() {
        guard let call = state.withLock({ $0.call }) else { return }
        var output = StreamOutput(budget: 1 << 16)
        let production = call.produce(into: &output)
        let messages = Self.decode(output.bytes)
        let commits = state.withLock { state -> Bool in
            state.delivered += messages
            guard case .pending = production, messages.isEmpty, state.commitAfterNextEmptyPull else { return false }
            state.commitAfterNextEmptyPull = false
            state.commitsDuringPulls += 1
            return true
        }
        if commits {
            store.commitQueued()
        }
    }

    private static func decode(_ bytes: [UInt8]) -> [WorkflowV1.ServerMessage] {
        var messages: [WorkflowV1.ServerMessage] = []
        var offset = 0
        while offset < bytes.count {
            let length = bytes[offset + 1 ..< offset + 5].reduce(0) { $0 << 8 | Int($1) }
            do {
                messages.append(try WorkflowV1.ServerMessage(serializedBytes: bytes[offset + 5 ..< offset + 5 + length]))
            } catch {
                Issue.record("the call produced a message that does not decode: \(error)")
            }
            offset += 5 + length
        }
        return messages
    }
}

@Suite struct WorkerStreamCallTests {
    @Test("an assignment whose change commits while the transport pulls the stream still goes out")
    func aCommitDuringAPullStillWakesTheStream() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let store = ManualStore()
        var templates = TemplateRegistry.builtIn
        templates.register(WorkflowTemplate(type: "REMOTE", jobs: [JobDefinition(name: "Work", remote: RemoteJob(queue: "q"))]))
        let engine = WorkflowEngine(
            templates: templates, executor: LockedEngineExecutor(loops: group), store: store,
            workerHeartbeatInterval: .seconds(60), logger: logger
        )
        _ = try await loop.submit { try engine.fromHandler { try $0.restore() } }.get()
        let transport = InlineTransport(store: store)
        let call = try await loop.submit {
            let call = WorkerStreamCall(engine: engine, credentials: .unchecked(.unauthenticated(certificateIdentity: nil)), waker: transport.waker)
            transport.attach(call)
            let hello = WorkflowV1.WorkerHello(name: "w", instanceID: "w-1", queues: ["q"], slots: 1)
            try call.receive(WorkflowV1.WorkerMessage(message: .hello(hello)).serializedBytes())
            store.commitQueued()
            return call
        }.get()
        #expect(transport.delivered.map(\.kind) == ["welcome"])

        // The assignment is pushed while the engine starts the workflow; the first pull finds
        // it not yet durable, and the commit lands before that wake-up returns.
        transport.commitAfterNextEmptyPull()
        let started = try await engine.start(WorkflowRequest(type: "REMOTE")).value

        #expect(transport.commitsDuringPulls == 1)
        let assignment = transport.delivered.compactMap { message -> WorkflowV1.JobAssignment? in
            guard case .assignment(let assignment) = message.message else { return nil }
            return assignment
        }.first
        #expect(assignment?.lease?.workflowID == started.id)

        try await loop.submit { call.cancel() }.get()
        await engine.shutdown()
        try await group.shutdownGracefully()
    }
}

extension WorkflowV1.ServerMessage {
    /// Which message it carries, for compact expectations.
    fileprivate var kind: String {
        switch message {
        case .welcome: "welcome"
        case .assignment: "assignment"
        case .ack: "ack"
        case .refusal: "refusal"
        case .cancellation: "cancellation"
        case nil: "none"
        }
    }
}
