import AccessControl
import RPCCore
import WorkflowEngine
import WorkflowMessages
import WorkflowModel
import WorkflowTreePacking

/// Serves `workflow.v1.WorkflowService` from a ``WorkflowEngine``: decodes requests, checks
/// them, calls the engine and encodes its answers, mapping engine errors to gRPC statuses.
///
/// Only ``WorkflowServer`` creates it, over an engine on a ``LockedEngineExecutor``: a unary
/// handler, on whichever event loop its connection runs, submits its engine call (run at once
/// when the engine is free, else by the thread that holds it) and encodes the answer off the
/// engine; a watch enters the engine to look up its workflow.
///
/// Every method runs behind the ``AccessGuard``; inside, a caller that sees only its own
/// workflows (a `user`) finds another user's workflow NOT_FOUND, and its lists, counts and
/// watches are those of its own workflows.
package struct WorkflowRPCService: Sendable {
    /// The most a ListWorkflows or ListSteps answer carries before its page ends early: well
    /// under the 4 MiB stock clients accept.
    static let maxListResponseBytes = 3 << 20

    private let engine: WorkflowEngine
    private let access: AccessGuard
    /// The newest events' encodings, shared by every WatchLogs stream.
    private let encodedEvents = EncodedEventCache()
    /// Encodings of recently read workflows, reused while a workflow does not change.
    private let encodedWorkflows = EncodedWorkflowCache()
    /// The same for workflows read without their steps.
    private let encodedSummaries = EncodedWorkflowCache()

    /// Creates the service over `engine`, whose executor the handlers' threads must be able to
    /// enter (``WorkflowEngine/enter(_:)``).
    init(engine: WorkflowEngine, access: AccessGuard) {
        self.engine = engine
        self.access = access
    }

    /// Adds the service's methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkflowService
        router.register(Methods.startWorkflow, access.unary(.start, startWorkflow))
        router.register(Methods.getWorkflow, access.unary(.read, getWorkflow))
        router.register(Methods.watchLogs, access.serverStreaming(.read, watchLogs))
        router.register(Methods.retryWorkflow, access.unary(.control, retryWorkflow))
        router.register(Methods.cancelWorkflow, access.unary(.control, cancelWorkflow))
        router.register(Methods.listWorkflows, access.unary(.read, listWorkflows))
        router.register(Methods.listSteps, access.unary(.read, listSteps))
        router.register(Methods.countWorkflows, access.unary(.read, countWorkflows))
        router.register(Methods.whoAmI, access.unary(.authenticated, whoAmI))
    }

    // MARK: Methods

    private func startWorkflow(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let request: WorkflowV1.StartWorkflowRequest
        do {
            request = try .init(request: bytes)
            try RequestValidation.check(request)
        } catch {
            return responder.fail(error)
        }
        var workflowRequest = WorkflowRequest(request)
        // The workflow is the caller's: a request's own user_id and user_name count only from
        // an admin (or when nobody authenticates), so nobody starts workflows in another's name.
        if caller.isAuthenticated, !(caller.mayActForOthers && !request.userID.isEmpty) {
            workflowRequest.userID = caller.subject
            if !caller.mayActForOthers { workflowRequest.userName = caller.subject }
        }
        // A repeated request id answers with the existing workflow, in whatever state it is now.
        callEngineDurably(responder) { [workflowRequest] engine throws(EngineError) in
            try engine.start(workflowRequest, by: caller.subject) { (id: $0.id, status: $0.status) }
        } encode: { started in
            WorkflowV1.StartWorkflowResponse(workflowID: started.id, status: WorkflowV1.WorkflowStatus(started.status)).serializedBytes()
        }
    }

    private func getWorkflow(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let request: WorkflowV1.GetWorkflowRequest
        do {
            request = try .init(request: bytes)
            try RequestValidation.checkWorkflowID(request.workflowID, field: "workflow_id", required: true)
        } catch {
            return responder.fail(error)
        }
        onEngine(responder) { engine throws(EngineError) in
            try engine.snapshot(id: request.workflowID, visibleTo: caller)
        } answer: { snapshot in
            answer(request, from: snapshot, responder)
        }
    }

    /// Answers a GetWorkflow with `snapshot`'s encoding: cached while the workflow's revision is
    /// unchanged, and completed from the store when memory does not hold what was asked for.
    private func answer(_ request: WorkflowV1.GetWorkflowRequest, from snapshot: WorkflowSnapshot, _ responder: UnaryResponder) {
        let cache = request.omitSteps ? encodedSummaries : encodedWorkflows
        let asOf = snapshot.asOfSequence
        if snapshot.suffices(includingSteps: !request.omitSteps) {
            let tree = cache.bytes(of: snapshot.workflow.id, revision: snapshot.revision) {
                WorkflowTreePacking.bytes(of: snapshot.workflow, includingSteps: !request.omitSteps)
            }
            return responder.succeed(WorkflowTreePacking.answer(tree: tree, asOfSequence: asOf))
        }
        if let tree = cache.cachedBytes(of: snapshot.workflow.id, revision: snapshot.revision) {
            return responder.succeed(WorkflowTreePacking.answer(tree: tree, asOfSequence: asOf))
        }
        answerFromStore(responder) { [engine] () throws(EngineError) in
            let complete = try engine.withStoredHistory(snapshot, includingSteps: !request.omitSteps)
            let tree = cache.bytes(of: snapshot.workflow.id, revision: snapshot.revision) {
                WorkflowTreePacking.bytes(of: complete.workflow, includingSteps: !request.omitSteps)
            }
            return WorkflowTreePacking.answer(tree: tree, asOfSequence: asOf)
        }
    }

    private func retryWorkflow(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let request: WorkflowV1.RetryWorkflowRequest
        do {
            request = try .init(request: bytes)
            try RequestValidation.checkWorkflowID(request.workflowID, field: "workflow_id", required: true)
        } catch {
            return responder.fail(error)
        }
        callEngineDurably(responder) { engine throws(EngineError) in
            try engine.requireControl(of: request.workflowID, by: caller)
            return try engine.retry(id: request.workflowID, by: caller.subject)
        } encode: { retried in
            WorkflowV1.RetryWorkflowResponse(
                workflowID: retried.workflow.id,
                status: WorkflowV1.WorkflowStatus(retried.workflow.status),
                attempt: Int32(clamping: retried.workflow.attempt),
                jobID: retried.resumedJob.id,
                jobName: retried.resumedJob.name
            ).serializedBytes()
        }
    }

    private func cancelWorkflow(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let request: WorkflowV1.CancelWorkflowRequest
        do {
            request = try .init(request: bytes)
            try RequestValidation.check(request)
        } catch {
            return responder.fail(error)
        }
        callEngineDurably(responder) { engine throws(EngineError) in
            try engine.requireControl(of: request.workflowID, by: caller)
            return try engine.cancel(id: request.workflowID, reason: request.reason, by: caller.subject)
        } encode: { workflow in
            WorkflowV1.CancelWorkflowResponse(
                workflowID: workflow.id, status: WorkflowV1.WorkflowStatus(workflow.status)
            ).serializedBytes()
        }
    }

    private func listWorkflows(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let query: WorkflowQuery
        do {
            query = try Self.restrict(RequestValidation.query(from: WorkflowV1.ListWorkflowsRequest(request: bytes)), to: caller)
        } catch {
            return responder.fail(error)
        }
        onEngine(responder) { engine throws(EngineError) in
            try engine.list(query)
        } answer: { [engine] page in
            guard page.treesInStore.isEmpty else {
                return answerFromStore(responder) { () throws(EngineError) in Self.encode(try engine.withStoredTrees(page)) }
            }
            responder.succeed(Self.encode(page))
        }
    }

    /// The ListWorkflows answer of `page`: a page of large summaries ends early, and its token
    /// continues after the last one sent.
    private static func encode(_ page: WorkflowPage) -> [UInt8] {
        let summaries = page.workflows.map { WorkflowV1.Workflow($0, includingSteps: false) }
        let fitting = countFitting(summaries)
        guard fitting < summaries.count else {
            return WorkflowV1.ListWorkflowsResponse(workflows: summaries, nextPageToken: page.nextPageToken ?? "").serializedBytes()
        }
        return WorkflowV1.ListWorkflowsResponse(
            workflows: Array(summaries.prefix(fitting)), nextPageToken: summaries[fitting - 1].id
        ).serializedBytes()
    }

    private func listSteps(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let query: StepQuery
        do {
            query = try RequestValidation.query(from: WorkflowV1.ListStepsRequest(request: bytes))
        } catch {
            return responder.fail(error)
        }
        onEngine(responder) { engine throws(EngineError) in
            _ = try engine.workflow(id: query.workflowID, visibleTo: caller)
            return try engine.steps(query)
        } answer: { [engine] read in
            switch read {
            case .page(let page):
                responder.succeed(Self.encode(page, of: query))
            case .inStore(let snapshot):
                answerFromStore(responder) { () throws(EngineError) in
                    Self.encode(try WorkflowEngine.steps(query, in: try engine.withStoredHistory(snapshot)), of: query)
                }
            }
        }
    }

    /// The ListSteps answer of `page`: a page of large steps ends early on the side away from
    /// where it was read from, and says there is more.
    private static func encode(_ page: StepPage, of query: StepQuery) -> [UInt8] {
        let steps = page.steps.map(WorkflowV1.LogEvent.init)
        let fitting = query.oldestFirst ? countFitting(steps) : countFitting(steps.reversed())
        guard fitting < steps.count else {
            return WorkflowV1.ListStepsResponse(steps: steps, hasMore: page.hasMore).serializedBytes()
        }
        let kept = query.oldestFirst ? steps.prefix(fitting) : steps.suffix(fitting)
        return WorkflowV1.ListStepsResponse(steps: Array(kept), hasMore: true).serializedBytes()
    }

    private func countWorkflows(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let query: WorkflowQuery
        do {
            query = try Self.restrict(RequestValidation.query(from: WorkflowV1.CountWorkflowsRequest(request: bytes)), to: caller)
        } catch {
            return responder.fail(error)
        }
        onEngine(responder) { engine throws(EngineError) in
            try engine.count(query)
        } answer: { counts in
            let counts = counts.map {
                WorkflowV1.WorkflowCount(type: $0.type, status: WorkflowV1.WorkflowStatus($0.status), count: Int64($0.count))
            }
            responder.succeed(WorkflowV1.CountWorkflowsResponse(counts: counts).serializedBytes())
        }
    }

    private func whoAmI(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        do {
            _ = try WorkflowV1.WhoAmIRequest(request: bytes)
        } catch {
            return responder.fail(error)
        }
        responder.succeed(
            WorkflowV1.WhoAmIResponse(subject: caller.subject, roles: caller.roleNames, authenticated: caller.isAuthenticated).serializedBytes()
        )
    }

    private func watchLogs(_ bytes: [UInt8], _ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer {
        let caller = check.caller
        var request = try WorkflowV1.WatchLogsRequest(request: bytes)
        try RequestValidation.check(request)
        request.userID = try Self.restrict(userID: request.userID, to: caller)
        guard let minimumLevel = LogLevel(minimum: request.minLevel) else {
            throw RPCStatus(code: .invalidArgument, message: "min_level: unknown log level \(request.minLevel.rawValue)")
        }
        let log = engine.events
        // A GetWorkflow's `as_of_sequence` may not be committed yet: starting after it waits
        // for the commit like any live watch.
        let newest = log.lastAppendedSequence
        if request.afterSequence > newest {
            throw RPCStatus(
                code: .outOfRange,
                message: "after_sequence \(request.afterSequence) is ahead of the newest event \(newest)"
            )
        }
        var workflowState = WatchLogsProducer.WorkflowState.running
        var cursor = request.liveOnly ? newest : (request.afterSequence == 0 ? log.oldestRetainedSequence &- 1 : request.afterSequence)
        if !request.workflowID.isEmpty {
            do throws(EngineError) {
                let (workflow, firstSequence, hasEnded) = try onEngine { engine throws(EngineError) in
                    (
                        try engine.workflow(id: request.workflowID, visibleTo: caller),
                        try engine.firstEventSequence(ofWorkflow: request.workflowID),
                        engine.hasVisiblyEnded(workflowID: request.workflowID) ?? true
                    )
                }
                workflowState = Self.watchState(of: workflow, hasEnded: hasEnded, for: request)
                // Nothing of this workflow comes before its first event: skip the older log.
                cursor = max(cursor, firstSequence &- 1)
                if case .finished = workflowState, workflow.status == .running {
                    // Filtered out entirely: skip straight to the end.
                    cursor = newest
                }
            } catch {
                throw RPCStatus(error)
            }
        }
        return WatchLogsProducer(
            log: log,
            filter: EventFilter(
                workflowID: request.workflowID,
                minimumLevel: minimumLevel,
                workflowType: request.workflowType,
                userID: request.userID,
                jobID: request.jobID,
                entityTag: request.entityTag,
                kinds: try RequestValidation.kinds(request.kinds)
            ),
            cursor: cursor,
            workflow: workflowState,
            workflowProgress: request.workflowID.isEmpty ? nil : progressCheck(request.workflowID),
            encodedEvents: encodedEvents,
            credentials: check,
            waker: waker
        )
    }

    // MARK: Helpers

    /// `query` limited to what `caller` may see: a caller that sees only its own workflows
    /// lists and counts those.
    private static func restrict(_ query: WorkflowQuery, to caller: Caller) throws(RPCStatus) -> WorkflowQuery {
        var query = query
        let userID = try restrict(userID: query.userID ?? "", to: caller)
        query.userID = userID.isEmpty ? nil : userID
        return query
    }

    /// The user filter of a request from `caller`: its own subject for a caller that sees only
    /// its own workflows (PERMISSION_DENIED if the request names another user), else the
    /// request's.
    private static func restrict(userID: String, to caller: Caller) throws(RPCStatus) -> String {
        guard let owner = caller.visibleOwner else { return userID }
        guard userID.isEmpty || userID == owner else {
            throw RPCStatus(
                code: .permissionDenied,
                message: "user_id: \(owner) sees only its own workflows; leave user_id empty or set it to \(owner)"
            )
        }
        return owner
    }

    /// How many of `messages`, taken in order, fit in one answer of at most
    /// ``maxListResponseBytes`` (at least one, however large).
    private static func countFitting<M: ProtoMessage>(_ messages: some Sequence<M>) -> Int {
        var bytes = 0
        var count = 0
        for message in messages {
            bytes += message.serializedBytes().count + 8
            if bytes > maxListResponseBytes, count > 0 { break }
            count += 1
        }
        return count
    }

    /// Where a workflow is now, for its watchers; a forgotten workflow counts as ended.
    private func progressCheck(_ id: String) -> @Sendable () -> WorkflowProgress {
        { [self] in
            onEngine { engine -> WorkflowProgress in
                guard let workflow = try? engine.workflow(id: id) else {
                    return WorkflowProgress(hasEnded: true, attempt: 0)
                }
                return WorkflowProgress(hasEnded: engine.hasVisiblyEnded(workflowID: id) ?? true, attempt: workflow.attempt)
            }
        }
    }

    /// How a watch of `workflow` starts: `.finished` when it has ended and its terminal event
    /// is visible (`hasEnded`), or when the request's type or user filter excludes it (then none
    /// of its events, not even the terminal one, can match, and the stream must not wait for them).
    private static func watchState(
        of workflow: Workflow, hasEnded: Bool, for request: WorkflowV1.WatchLogsRequest
    ) -> WatchLogsProducer.WorkflowState {
        let excluded = (!request.workflowType.isEmpty && request.workflowType != workflow.type)
            || (!request.userID.isEmpty && request.userID != workflow.userID)
        return excluded || hasEnded ? .finished : .running
    }

    /// Runs `operation` on the engine without waiting for it (``WorkflowEngine/submit(_:then:)``),
    /// then `answer` with its result, off the engine; an engine error fails the call.
    private func onEngine<T: Sendable>(
        _ responder: UnaryResponder,
        _ operation: @escaping @Sendable (isolated WorkflowEngine) throws(EngineError) -> T,
        answer: @escaping @Sendable (T) -> Void
    ) {
        engine.submit(operation) { result in
            switch result {
            case .success(let value):
                answer(value)
            case .failure(let error):
                responder.fail(RPCStatus(error))
            }
        }
    }

    /// Answers the call with what `read` returns, run on ``StoreReads`` because it reads the
    /// store: the event loop never waits on the disk.
    private func answerFromStore(_ responder: UnaryResponder, _ read: @escaping @Sendable () throws(EngineError) -> [UInt8]) {
        StoreReads.run {
            do throws(EngineError) {
                responder.succeed(try read())
            } catch {
                responder.fail(RPCStatus(error))
            }
        }
    }

    /// Runs a change on the engine and answers the call with `encode` of its result once the
    /// change is durable: an acknowledged change survives a crash.
    private func callEngineDurably<T: Sendable>(
        _ responder: UnaryResponder,
        _ operation: @escaping @Sendable (isolated WorkflowEngine) throws(EngineError) -> DurableResult<T>,
        encode: @escaping @Sendable (T) -> [UInt8]
    ) {
        onEngine(responder, operation) { change in
            let bytes = encode(change.value)
            change.whenDurable { responder.succeed(bytes) }
        }
    }

    /// Runs `operation` on the engine with a plain function call, waiting for the engine if
    /// another thread holds it (see ``WorkflowEngine/fromHandler(_:)``).
    private func onEngine<T: Sendable, Failure: Error>(
        _ operation: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T {
        try engine.fromHandler(operation)
    }
}

extension RPCStatus {
    /// The gRPC status for an engine error.
    init(_ error: EngineError) {
        switch error.code {
        case .invalidArgument, .unknownWorkflowType:
            self.init(code: .invalidArgument, message: error.message)
        case .workflowNotFound:
            self.init(code: .notFound, message: error.message)
        case .shuttingDown, .unavailable:
            self.init(code: .unavailable, message: error.message)
        case .failedPrecondition:
            self.init(code: .failedPrecondition, message: error.message)
        case .alreadyExists:
            self.init(code: .alreadyExists, message: error.message)
        case .outOfRange:
            self.init(code: .outOfRange, message: error.message)
        default:
            self.init(code: .internalError, message: error.message)
        }
    }
}
