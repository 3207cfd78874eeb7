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

/// The handler the service registered for `method`.
private func handler<Request, Response>(of service: WorkflowRPCService, _ method: MethodDescriptor<Request, Response>) throws -> RPCHandler {
    var router = RPCRouter()
    service.register(in: &router)
    let head = try #require(GRPCRequestHead(path: method.path))
    guard case .success(let handler) = router.route(head) else {
        throw RPCStatus(code: .unimplemented, message: method.path)
    }
    return handler
}

/// The unary handler of `method`.
private func unaryHandler<Request, Response>(
    of service: WorkflowRPCService, _ method: MethodDescriptor<Request, Response>
) throws -> @Sendable ([UInt8], ServerCallContext, UnaryResponder) -> Void {
    guard case .unary(let unary) = try handler(of: service, method) else {
        throw RPCStatus(code: .unimplemented, message: "\(method.path) is not a unary method")
    }
    return unary
}

/// The server-streaming handler of `method`.
private func streamHandler<Request, Response>(
    of service: WorkflowRPCService, _ method: MethodDescriptor<Request, Response>
) throws -> @Sendable ([UInt8], ServerCallContext, StreamWaker) throws(RPCStatus) -> any ServerStreamProducer {
    guard case .serverStreaming(let stream) = try handler(of: service, method) else {
        throw RPCStatus(code: .unimplemented, message: "\(method.path) is not a server-streaming method")
    }
    return stream
}

private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite struct WorkflowRPCServiceTests {
    @Test func handlersOnAFreeEngineAnswerBeforeTheyReturn() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let engine = WorkflowEngine(templates: .builtIn, executor: LockedEngineExecutor(loops: group), logger: logger)
        let service = WorkflowRPCService(engine: engine, access: AccessGuard(authenticator: .off))
        let start = try unaryHandler(of: service, WorkflowV1.WorkflowService.startWorkflow)
        let get = try unaryHandler(of: service, WorkflowV1.WorkflowService.getWorkflow)
        let request = WorkflowV1.StartWorkflowRequest(type: "TEST", params: ["steps": "0"]).serializedBytes()

        let (started, missing) = try await loop.submit {
            let answers = Mutex<[Result<[UInt8], RPCStatus>]>([])
            let context = ServerCallContext(path: "", metadata: Metadata(), deadline: nil)
            start(request, context, UnaryResponder { result in answers.withLock { $0.append(result) } })
            get(WorkflowV1.GetWorkflowRequest(workflowID: "wf-none").serializedBytes(), context, UnaryResponder { result in
                answers.withLock { $0.append(result) }
            })
            let inline = answers.withLock { $0 }
            return (try inline[0].get(), inline[1])
        }.get()

        #expect(try WorkflowV1.StartWorkflowResponse(serializedBytes: started).status == .running)
        guard case .failure(let status) = missing else {
            Issue.record("an unknown workflow must be NOT_FOUND")
            return
        }
        #expect(status.code == .notFound)
        await engine.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("GetWorkflow answers at once while the store lags, and a watch starts after its as_of_sequence")
    func aTreeAheadOfTheStoreIsAnsweredAndFollowedOn() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let store = ManualStore()
        let engine = WorkflowEngine(templates: .builtIn, executor: LockedEngineExecutor(loops: group), store: store, logger: logger)
        _ = try await loop.submit { try engine.fromHandler { try $0.restore() } }.get()
        let service = WorkflowRPCService(engine: engine, access: AccessGuard(authenticator: .off))
        let start = try unaryHandler(of: service, WorkflowV1.WorkflowService.startWorkflow)
        let get = try unaryHandler(of: service, WorkflowV1.WorkflowService.getWorkflow)
        let watch = try streamHandler(of: service, WorkflowV1.WorkflowService.watchLogs)
        let context = ServerCallContext(path: "", metadata: Metadata(), deadline: nil)

        let started = Mutex<[UInt8]?>(nil)
        try await loop.submit {
            let request = WorkflowV1.StartWorkflowRequest(type: "TEST", params: ["steps": "0"]).serializedBytes()
            start(request, context, UnaryResponder { result in started.withLock { $0 = try? result.get() } })
            store.commitQueued()
        }.get()
        let id = try WorkflowV1.StartWorkflowResponse(serializedBytes: try #require(started.withLock { $0 })).workflowID
        // The workflow runs on; its events wait in the store's queue, not yet visible.
        while try await engine.workflow(id: id).status == .running {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(store.queuedCount > 0)

        let (answer, visible) = try await loop.submit {
            let answers = Mutex<[Result<[UInt8], RPCStatus>]>([])
            get(WorkflowV1.GetWorkflowRequest(workflowID: id, omitSteps: true).serializedBytes(), context, UnaryResponder { result in
                answers.withLock { $0.append(result) }
            })
            return (answers.withLock { $0 }, engine.events.lastSequence)
        }.get()
        let tree = try WorkflowV1.Workflow(serializedBytes: try #require(answer.first, "answered inline, not after the commit").get())
        #expect(tree.status == .completed)
        #expect(tree.asOfSequence > visible, "the tree is ahead of what is committed")

        let after = WorkflowV1.WatchLogsRequest(workflowID: id, afterSequence: tree.asOfSequence).serializedBytes()
        let producer = try await loop.submit { () -> (any ServerStreamProducer)? in
            try? watch(after, context, StreamWaker {})
        }.get()
        let stream = try #require(producer, "a watch may start after an event that is not committed yet")
        func pull() async throws -> (bytes: Int, production: StreamProduction) {
            try await loop.submit {
                var output = StreamOutput(budget: 1 << 16)
                let production = stream.produce(into: &output)
                return (output.bytes.count, production)
            }.get()
        }
        let waiting = try await pull()
        guard waiting.bytes == 0, case .pending = waiting.production else {
            Issue.record("the watch sent something before the commit: \(waiting)")
            return
        }
        let ahead = WorkflowV1.WatchLogsRequest(workflowID: id, afterSequence: tree.asOfSequence + 1).serializedBytes()
        let refused = try await loop.submit { () -> RPCStatus.Code? in
            do throws(RPCStatus) {
                _ = try watch(ahead, context, StreamWaker {})
                return nil
            } catch {
                return error.code
            }
        }.get()
        #expect(refused == .outOfRange)

        // Once the events up to the tree are committed, the watch ends: nothing after the tree
        // is left to send, and its terminal event is in the tree already.
        try await loop.submit { store.commitQueued() }.get()
        let ended = try await pull()
        guard ended.bytes == 0, case .finished(let status) = ended.production else {
            Issue.record("the watch should end with nothing more to send: \(ended)")
            return
        }
        #expect(status.code == .ok)
        await engine.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("a window of large steps ends early on the far side, says there is more, and the windows chain")
    func largeStepsEndAWindowEarly() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var templates = TemplateRegistry.builtIn
        // 40 steps of 200 KiB: 8 MiB in all, some 15 per answer.
        templates.register(WorkflowTemplate(type: "LARGE", jobs: [JobDefinition(name: "Write") { context in
            for index in 0..<40 {
                context.logStep("\(index) " + String(repeating: "x", count: 200 << 10))
            }
        }]))
        let engine = WorkflowEngine(templates: templates, executor: LockedEngineExecutor(loops: group), logger: logger)
        let service = WorkflowRPCService(engine: engine, access: AccessGuard(authenticator: .off))
        let start = try unaryHandler(of: service, WorkflowV1.WorkflowService.startWorkflow)
        let list = try unaryHandler(of: service, WorkflowV1.WorkflowService.listSteps)
        let context = ServerCallContext(path: "", metadata: Metadata(), deadline: nil)
        func call(_ handler: @escaping @Sendable ([UInt8], ServerCallContext, UnaryResponder) -> Void, _ request: [UInt8]) async throws -> [UInt8] {
            try await loop.submit {
                let answer = Mutex<Result<[UInt8], RPCStatus>?>(nil)
                handler(request, context, UnaryResponder { result in answer.withLock { $0 = result } })
                return try answer.withLock { $0 }!.get()
            }.get()
        }
        let id = try WorkflowV1.StartWorkflowResponse(serializedBytes: try await call(start, WorkflowV1.StartWorkflowRequest(type: "LARGE").serializedBytes())).workflowID
        while try await engine.workflow(id: id).status == .running {
            try await Task.sleep(for: .milliseconds(1))
        }
        let everyStep = try await engine.workflow(id: id).jobs[0].steps.map(\.sequence)

        for oldestFirst in [false, true] {
            var read: [UInt64] = []
            var bound: UInt64 = 0
            while true {
                let request = WorkflowV1.ListStepsRequest(
                    workflowID: id, beforeSequence: oldestFirst ? 0 : bound, afterSequence: oldestFirst ? bound : 0,
                    pageSize: 1000, oldestFirst: oldestFirst
                )
                let answer = try await call(list, request.serializedBytes())
                #expect(answer.count <= WorkflowRPCService.maxListResponseBytes)
                let page = try WorkflowV1.ListStepsResponse(serializedBytes: answer)
                let sequences = page.steps.map(\.sequence)
                #expect(!sequences.isEmpty && sequences == sequences.sorted())
                read = oldestFirst ? read + sequences : sequences + read
                guard page.hasMore else { break }
                bound = oldestFirst ? sequences.last! : sequences.first!
            }
            #expect(read == everyStep, "oldest first: \(oldestFirst)")
        }
        await engine.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("over an engine on its default executor, unary calls are answered from a task")
    func unaryCallsReachAnEngineOnItsDefaultExecutor() async throws {
        let service = WorkflowRPCService(engine: WorkflowEngine(templates: .builtIn, logger: logger), access: AccessGuard(authenticator: .off))
        let get = try unaryHandler(of: service, WorkflowV1.WorkflowService.getWorkflow)
        let answer = await withCheckedContinuation { continuation in
            get(
                WorkflowV1.GetWorkflowRequest(workflowID: "wf-none").serializedBytes(),
                ServerCallContext(path: "", metadata: Metadata(), deadline: nil),
                UnaryResponder { continuation.resume(returning: $0) }
            )
        }
        #expect(throws: RPCStatus(code: .notFound, message: EngineError.workflowNotFound("wf-none").message)) { try answer.get() }
    }

    @Test func aWatchOverAnEngineItsHandlersCannotEnterStopsTheProgram() async {
        let exit = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            // An engine on its default executor: no handler thread can enter it, and a watch of
            // one workflow must look it up before it answers.
            let service = WorkflowRPCService(engine: WorkflowEngine(templates: .builtIn, logger: logger), access: AccessGuard(authenticator: .off))
            let watch = try streamHandler(of: service, WorkflowV1.WorkflowService.watchLogs)
            _ = try? watch(
                WorkflowV1.WatchLogsRequest(workflowID: "wf-none").serializedBytes(),
                ServerCallContext(path: "", metadata: Metadata(), deadline: nil),
                StreamWaker {}
            )
        }
        let message = String(decoding: exit?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("the workflow service needs an engine on an executor its handlers can enter"))
    }
}

extension WorkflowRPCServiceTests {
    /// Calls a unary `handler` on `loop` and waits for its answer, which may come from another thread.
    private func call(
        _ handler: @escaping @Sendable ([UInt8], ServerCallContext, UnaryResponder) -> Void,
        _ request: [UInt8],
        on loop: any EventLoop
    ) async throws -> Result<[UInt8], RPCStatus> {
        try await withCheckedThrowingContinuation { continuation in
            loop.execute {
                let context = ServerCallContext(path: "", metadata: Metadata(), deadline: nil)
                handler(request, context, UnaryResponder { continuation.resume(returning: $0) })
            }
        }
    }

    @Test("GetWorkflow and ListSteps of a workflow whose steps were left to the store read them back off the loop; an unreadable store is UNAVAILABLE")
    func stepsLeftToTheStore() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let store = LoopWatchingStore(loop: loop)
        let engine = WorkflowEngine(
            templates: .builtIn, executor: LockedEngineExecutor(loops: group), store: store,
            history: HistoryInMemory(finishedWorkflowsWithSteps: 1), logger: logger
        )
        _ = try await loop.submit { try engine.fromHandler { try $0.restore() } }.get()
        let service = WorkflowRPCService(engine: engine, access: AccessGuard(authenticator: .off))
        let start = try unaryHandler(of: service, WorkflowV1.WorkflowService.startWorkflow)
        let get = try unaryHandler(of: service, WorkflowV1.WorkflowService.getWorkflow)
        let listSteps = try unaryHandler(of: service, WorkflowV1.WorkflowService.listSteps)
        let list = try unaryHandler(of: service, WorkflowV1.WorkflowService.listWorkflows)
        // The store commits every millisecond, as the real one commits as writes arrive.
        let committer = Task {
            while !Task.isCancelled {
                store.inner.commitQueued()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { committer.cancel() }

        /// Starts a TEST workflow and waits until it has ended.
        func run(_ params: [String: String]) async throws -> String {
            let started = try await call(start, WorkflowV1.StartWorkflowRequest(type: "TEST", params: params).serializedBytes(), on: loop)
            let id = try WorkflowV1.StartWorkflowResponse(serializedBytes: try started.get()).workflowID
            let deadline = ContinuousClock.now + .seconds(20)
            while try await engine.workflow(id: id).status == .running {
                guard ContinuousClock.now < deadline else { throw RPCStatus(code: .deadlineExceeded, message: "\(id) still runs") }
                try await Task.sleep(for: .milliseconds(1))
            }
            return id
        }
        let id = try await run(["jobs": "2", "steps": "3", "step_delay_ms": "0"])
        let hot = try await engine.workflow(id: id)
        #expect(hot.jobs.map(\.steps.count) == [3, 3])
        let deadline = ContinuousClock.now + .seconds(20)
        while try await engine.snapshot(id: id).isWhole {
            guard ContinuousClock.now < deadline else {
                Issue.record("the steps of \(id) stayed in memory")
                return
            }
            _ = try await run(["steps": "0"])
        }

        store.inner.failsReads = true
        for (handler, request) in [
            (get, WorkflowV1.GetWorkflowRequest(workflowID: id).serializedBytes()),
            (get, WorkflowV1.GetWorkflowRequest(workflowID: id, omitSteps: true).serializedBytes()),
            (listSteps, WorkflowV1.ListStepsRequest(workflowID: id).serializedBytes()),
            (list, WorkflowV1.ListWorkflowsRequest(pageSize: 100).serializedBytes()),
        ] {
            guard case .failure(let status) = try await call(handler, request, on: loop) else {
                Issue.record("a read of an unreadable store must fail")
                continue
            }
            #expect(status.code == .unavailable)
            #expect(status.message.contains(id))
        }
        store.inner.failsReads = false

        let summary = try WorkflowV1.Workflow(serializedBytes: try await call(get, WorkflowV1.GetWorkflowRequest(workflowID: id, omitSteps: true).serializedBytes(), on: loop).get())
        #expect(summary.jobs.map(\.stepCount) == [3, 3])
        #expect(summary.jobs.map(\.id) == hot.jobs.map(\.id))
        let listed = try WorkflowV1.ListWorkflowsResponse(
            serializedBytes: try await call(list, WorkflowV1.ListWorkflowsRequest(pageSize: 100).serializedBytes(), on: loop).get()
        )
        let entry = try #require(listed.workflows.first { $0.id == id })
        #expect(entry.jobs.map(\.stepCount) == [3, 3])
        #expect(entry.jobs.map(\.status) == [.completed, .completed])
        #expect(entry.jobs.allSatisfy { $0.steps.isEmpty })
        let tree = try WorkflowV1.Workflow(serializedBytes: try await call(get, WorkflowV1.GetWorkflowRequest(workflowID: id).serializedBytes(), on: loop).get())
        #expect(tree.jobs.map { $0.steps.map(\.id) } == hot.jobs.map { $0.steps.map(\.id) })
        #expect(tree.jobs.map { $0.steps.map(\.sequence) } == hot.jobs.map { $0.steps.map(\.sequence) })
        #expect(tree.jobs.map(\.stepCount) == [3, 3])
        let page = try WorkflowV1.ListStepsResponse(
            serializedBytes: try await call(listSteps, WorkflowV1.ListStepsRequest(workflowID: id, pageSize: 4).serializedBytes(), on: loop).get()
        )
        #expect(page.steps.map(\.sequence) == Array(hot.jobs.flatMap(\.steps).map(\.sequence).suffix(4)))
        #expect(page.hasMore)
        #expect(store.storeReads > 0)
        #expect(store.storeReadsOnTheLoop == 0, "the store was read on the event loop")

        // The whole tree read once is encoded once: the next read needs no store.
        store.inner.failsReads = true
        let again = try WorkflowV1.Workflow(serializedBytes: try await call(get, WorkflowV1.GetWorkflowRequest(workflowID: id).serializedBytes(), on: loop).get())
        #expect(again.jobs.map { $0.steps.map(\.id) } == tree.jobs.map { $0.steps.map(\.id) })
        store.inner.failsReads = false
        await engine.shutdown()
        try await group.shutdownGracefully()
    }
}

/// A ``ManualStore`` that counts reads of stored steps and trees, and those made on `loop`.
private final class LoopWatchingStore: EventStore {
    let inner = ManualStore()
    private let loop: any EventLoop
    private let reads = Mutex((all: 0, onLoop: 0))

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Reads of stored steps or trees, and those made on the loop.
    var storeReads: Int { reads.withLock { $0.all } }
    var storeReadsOnTheLoop: Int { reads.withLock { $0.onLoop } }

    func steps(ofWorkflow id: String, through: UInt64, jobIDs: [String]) throws -> [StoredStep] {
        countRead()
        return try inner.steps(ofWorkflow: id, through: through, jobIDs: jobIDs)
    }

    func workflow(id: String, stepsThrough: UInt64?) throws -> WorkflowModel.Workflow? {
        countRead()
        return try inner.workflow(id: id, stepsThrough: stepsThrough)
    }

    func workflows(ids: [String]) throws -> [String: WorkflowModel.Workflow] {
        countRead()
        return try inner.workflows(ids: ids)
    }

    private func countRead() {
        let onLoop = loop.inEventLoop
        reads.withLock {
            $0.all += 1
            if onLoop { $0.onLoop += 1 }
        }
    }

    func recover() throws -> RecoveredState { try inner.recover() }
    func setCommitHandler(_ handler: @escaping @Sendable (UInt64) -> Void) { inner.setCommitHandler(handler) }
    func enqueue(_ write: StoreWrite) { inner.enqueue(write) }
    func enqueue(contentsOf writes: [StoreWrite]) { inner.enqueue(contentsOf: writes) }
    func events(after sequence: UInt64, through: UInt64, limit: Int) throws -> [WorkflowModel.LogEvent] {
        try inner.events(after: sequence, through: through, limit: limit)
    }
    func records(in collection: String) throws -> [StoredRecord] { try inner.records(in: collection) }
    var oldestStoredSequence: UInt64? { inner.oldestStoredSequence }
    func flush() { inner.flush() }
}
