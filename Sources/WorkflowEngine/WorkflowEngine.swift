import Logging
import WorkflowModel

/// Runs workflows: owns every workflow's state and produces the event log watchers follow.
///
/// Starting a workflow validates the request, records the workflow as running with its jobs
/// pending, and returns at once; the jobs then run in the background strictly one after
/// another, each attempt in a task of its own. A failed attempt runs again as its job's
/// ``RetryPolicy`` says; the first job whose last attempt fails fails the workflow and cancels
/// the jobs after it. With a store, ``restore()`` resumes what a restart interrupted.
///
/// All methods are synchronous and isolated to the actor. Code that runs on the engine's
/// ``EngineExecutor`` (an RPC handler on the network event loop) calls them without an actor
/// hop through ``ifIsolated(_:)``; with an executor that any thread can enter, any thread does,
/// through ``enter(_:)`` or, without waiting, ``submit(_:then:)``; other code awaits them.
///
/// ```swift
/// let engine = WorkflowEngine(templates: .builtIn, logger: Logger(label: "workflow"))
/// let workflow = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "2"])).value
/// // workflow.status == .running, every job pending
/// let read = engine.events.read(after: 0, matching: EventFilter(workflowID: workflow.id), limit: 100)
/// ```
///
/// `final`, though no actor can be subclassed: without it, other modules called its public
/// methods through the class's method table, so ``submit(_:then:)``, `@inlinable` for them, was
/// never specialized and looked up `Result<T, _>`'s metadata at run time on every call.
public final actor WorkflowEngine {
    /// The log of every event, for watchers; readable from any thread without waiting.
    public nonisolated let events: EventLog
    /// The workflow types this engine can start.
    public nonisolated let templates: TemplateRegistry
    /// How many finished workflows are kept for ``workflow(id:)``; older ones are forgotten.
    public nonisolated let workflowRetention: Int
    /// How long finished workflows are kept for ``workflow(id:)``; `nil` for no time limit.
    public nonisolated let workflowMaxAge: Duration?

    /// Where workflows and events are made durable, if anywhere.
    public nonisolated let store: (any EventStore)?
    /// Where artifact files live; `nil` when nothing deletes them.
    nonisolated let artifactStorage: (any ArtifactStorage)?
    /// The executor given at init, if any (else the actor runs on ``defaultExecutor``'s).
    @usableFromInline
    nonisolated let executor: (any EngineExecutor)?
    private nonisolated let defaultExecutor = DefaultExecutorDonor()
    let logger: Logger

    /// Every retained workflow by id; add and remove through ``retain(_:)`` and ``forget(_:)``.
    var records: [String: WorkflowRecord] = [:]
    /// Retained workflows per type and status; a status changes through ``setStatus(_:of:)``.
    var statusTally = WorkflowStatusTally()
    /// Workflow ids by the user and request id that started them: request ids are per user, so
    /// one user's request id never finds (or names) another user's workflow.
    var workflowIDsByRequestID: [RequestKey: String] = [:]
    /// Ids of finished workflows, oldest first, for forgetting them.
    var finishedWorkflowIDs = FIFOQueue<(id: String, attempt: Int)>()
    /// Finished workflows whose steps are still in memory, oldest first (with a store only):
    /// beyond ``history``'s count their steps are left to the store.
    var finishedWithSteps = FIFOQueue<(id: String, attempt: Int)>()
    /// How much history stays in memory with a store.
    public nonisolated let history: HistoryInMemory
    private var workflowIDs = WorkflowIDGenerator()
    /// How many attempts of job functions run in this process now (a shutdown waits on them).
    var runningAttempts = 0
    /// Connected workers, attempts waiting for one, live leases.
    var workerDispatch = WorkerDispatchState()
    /// How often connected workers are asked to send a heartbeat.
    public nonisolated let workerHeartbeatInterval: Duration
    /// Set by ``restore()``: the store's state is loaded (a second call does nothing).
    var isRestored = false
    /// The newest event the store held when the engine restored it (0 without a restore).
    var restoredThroughSequence: UInt64 = 0
    /// Set by ``shutdown(gracePeriod:)``: no workflow, job or attempt starts any more.
    var isShuttingDown = false
    /// The retained workflows, oldest first, overall and per type, for listing.
    var creationOrder = CreationOrder()

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - templates: The workflow types the engine can start.
    ///   - eventRetention: How many of the newest events ``events`` keeps (at least 1); with a
    ///     store, only `history.events` of them in memory.
    ///   - workflowRetention: How many finished workflows are kept (at least 1); running ones
    ///     are always kept.
    ///   - workflowMaxAge: How long after it finished a workflow is kept (checked whenever a
    ///     workflow finishes and at ``restore()``); `nil` for no time limit.
    ///   - executor: The serial executor the actor runs on; `nil` for a default one. Pass the
    ///     network event loop so handlers on it can use ``ifIsolated(_:)``, or an executor any
    ///     thread can enter so every handler can use ``enter(_:)``.
    ///   - store: Where workflows and events are made durable; `nil` keeps everything in memory
    ///     only. With a store, call ``restore()`` before anything else.
    ///   - workerHeartbeatInterval: How often connected workers are asked to send a heartbeat
    ///     (keep it well under the remote jobs' heartbeat timeouts).
    ///   - artifactStorage: Where the jobs store artifact files, told which ones to delete.
    ///   - history: With a store, how many events and finished workflows' steps stay in memory.
    ///   - logger: Where the engine logs workflow and job lifecycle.
    public init(
        templates: TemplateRegistry,
        eventRetention: Int = 1_000_000,
        workflowRetention: Int = 100_000,
        workflowMaxAge: Duration? = nil,
        executor: (any EngineExecutor)? = nil,
        store: (any EventStore)? = nil,
        workerHeartbeatInterval: Duration = .seconds(1),
        artifactStorage: (any ArtifactStorage)? = nil,
        history: HistoryInMemory = HistoryInMemory(),
        logger: Logger
    ) {
        self.artifactStorage = artifactStorage
        self.history = history
        self.workerHeartbeatInterval = workerHeartbeatInterval
        self.templates = templates
        self.store = store
        self.events = EventLog(retention: store == nil ? eventRetention : min(eventRetention, history.events), store: store) { after, through, error in
            logger.error(
                "store.read_failed",
                metadata: ["store.after_sequence": "\(after)", "store.through_sequence": "\(through)", "store.error": "\(error)"]
            )
        }
        self.workflowRetention = max(1, workflowRetention)
        self.workflowMaxAge = workflowMaxAge
        self.executor = executor
        self.logger = logger
    }

    /// The executor the actor runs on: the given ``EngineExecutor``, or a default one.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        if let executor {
            return executor.asUnownedSerialExecutor()
        }
        return defaultExecutor.unownedExecutor
    }

    /// Runs `body` on the engine synchronously if the calling thread runs the engine's
    /// ``EngineExecutor``; returns `nil` without running it otherwise.
    ///
    /// ```swift
    /// if let workflow = try engine.ifIsolated({ try $0.workflow(id: id) }) {
    ///     respond(workflow)                       // answered inline, no hop
    /// } else {
    ///     respond(try await engine.workflow(id: id))
    /// }
    /// ```
    ///
    /// - Parameter body: The work, isolated to the engine.
    /// - Returns: What `body` returned, or `nil` when not on the engine's executor (always
    ///   `nil` for an engine without a custom executor).
    /// - Throws: What `body` threw.
    public nonisolated func ifIsolated<T: Sendable, Failure: Error>(
        _ body: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T? {
        guard let executor, executor.isCurrent else { return nil }
        let result = withoutActuallyEscaping(body) { body -> Result<T, Failure> in
            // Safe: `body` runs synchronously on the calling thread before this call returns,
            // and `assumeIsolated` checks that this thread runs the engine's executor; the
            // caller's captured state never leaves this thread.
            nonisolated(unsafe) let body = body
            return assumeIsolated { engine -> Result<T, Failure> in
                do throws(Failure) {
                    return .success(try body(engine))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` on the engine synchronously on the calling thread, from any thread, when the
    /// engine's ``EngineExecutor`` can be entered (``EngineExecutor/enter(_:)``): at once on
    /// the executor, else once what runs on it now has finished. Returns `nil` without running
    /// `body` when the executor cannot be entered from this thread.
    ///
    /// - Parameter body: The work, isolated to the engine; keep it short, other threads wait.
    /// - Returns: What `body` returned, or `nil`.
    /// - Throws: What `body` threw.
    public nonisolated func enter<T: Sendable, Failure: Error>(
        _ body: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T? {
        guard let executor else { return nil }
        var outcome: Result<T?, Failure>?
        guard executor.enter({ outcome = Result { () throws(Failure) -> T? in try ifIsolated(body) } }), let outcome else {
            return nil
        }
        return try outcome.get()
    }

    /// Runs `operation` on the engine and hands its result to `completion` once the engine is
    /// free again, without the calling thread waiting for the engine (``EngineExecutor/submit(_:)``):
    /// on the calling thread when nothing else runs the engine, else on the thread that does.
    ///
    /// - Parameters:
    ///   - operation: The work, isolated to the engine; keep it short.
    ///   - completion: What to do with its result, off the engine (encode and answer a call).
    @inlinable
    public nonisolated func submit<T: Sendable, Failure: Error>(
        _ operation: @escaping @Sendable (isolated WorkflowEngine) throws(Failure) -> T,
        then completion: @escaping @Sendable (Result<T, Failure>) -> Void
    ) {
        guard let executor else {
            Task { completion(await self.run(operation)) }
            return
        }
        @Sendable func runHere() -> Result<T, Failure> {
            assumeIsolated { engine in Result { () throws(Failure) -> T in try operation(engine) } }
        }
        // The common case, with nothing to allocate: the engine is free. (Inlinable, so that
        // callers get it specialized: unspecialized, looking up the metadata of `Result<T, _>`
        // at run time was 5 % of a GetWorkflow's CPU.)
        var now: Result<T, Failure>?
        if executor.enterIfFree({ now = runHere() }), let now {
            return completion(now)
        }
        executor.submit {
            let result = runHere()
            return { completion(result) }
        }
    }

    /// `operation`'s result, run on the engine.
    @usableFromInline
    func run<T: Sendable, Failure: Error>(
        _ operation: @Sendable (isolated WorkflowEngine) throws(Failure) -> T
    ) -> Result<T, Failure> {
        Result { () throws(Failure) -> T in try operation(self) }
    }

    /// The workflow types this engine can start, sorted.
    public nonisolated var knownTypes: [String] {
        templates.types
    }

    /// Starts a workflow and returns it at once, running, with every job pending; the jobs run
    /// in the background.
    ///
    /// Appends `workflowStarted`. Starting again with the same non-empty
    /// `WorkflowRequest.requestID` and an identical request returns the workflow the first
    /// call started (in its current state; with a store, only its summary once it ended a
    /// while ago) instead of starting another.
    ///
    /// ```swift
    /// let started = try engine.start(request)
    /// started.whenDurable { respond(started.value) }
    /// ```
    ///
    /// - Parameters:
    ///   - request: What to start.
    ///   - actor: Who starts it (the caller's identity), for the audit trail: the workflow's
    ///     ``Workflow/startedBy`` and its `workflowStarted` event's ``LogEvent/actor``.
    /// - Returns: The new workflow (or the one a repeated request id started), durable once its
    ///   `workflowStarted` event is committed.
    /// - Throws: ``EngineError/Code/unknownWorkflowType`` for an unregistered type;
    ///   ``EngineError/Code/invalidArgument`` when the template refuses the parameters (field
    ///   `params.<name>`); ``EngineError/Code/alreadyExists`` when the request id started a
    ///   different request; ``EngineError/Code/shuttingDown``. A request id is recognised while
    ///   its workflow is retained, per user: another user's same request id starts its own.
    public func start(_ request: WorkflowRequest, by actor: String = "") throws(EngineError) -> DurableResult<Workflow> {
        try start(request, by: actor) { $0 }
    }

    /// Starts a workflow as ``start(_:by:)`` does, and returns only what `answer` takes from it
    /// (say its id and status): the tree it is given is the one ``start(_:by:)`` returns.
    ///
    /// The workflow's first job starts before this returns, and starting it changes the jobs:
    /// while the caller holds the whole tree, that change copies them first.
    ///
    /// - Parameters:
    ///   - request: What to start.
    ///   - actor: Who starts it, as for ``start(_:by:)``.
    ///   - answer: What to return of the new workflow (or of the one a repeated request id
    ///     started).
    /// - Returns: `answer`'s value, durable once the `workflowStarted` event is committed.
    /// - Throws: As ``start(_:by:)``.
    public func start<Answer: Sendable>(
        _ request: WorkflowRequest, by actor: String = "", answer: (Workflow) -> Answer
    ) throws(EngineError) -> DurableResult<Answer> {
        if isShuttingDown {
            throw .shuttingDown
        }
        if !request.requestID.isEmpty,
           let existingID = workflowIDsByRequestID[RequestKey(request)],
           let existing = records[existingID] {
            guard existing.request == request else {
                throw .requestIDReused(request.requestID, existingID: existingID)
            }
            return DurableResult(answer(existing.workflow), recordedAt: existing.firstSequence, in: events)
        }
        let (record, answered) = try newRecord(request, by: actor, answer: answer)
        launch(record, from: 0)
        return DurableResult(answered, recordedAt: record.firstSequence, in: events)
    }

    /// The record of a new workflow, retained, with its `workflowStarted` event appended; its
    /// first job not yet started; and `answer`'s value of the new tree, taken before the record
    /// holds it (reading the record's tree as an argument would copy it whole). (A function of
    /// its own, so that once it returns nothing but the record holds the new tree; with a store,
    /// the snapshot queued for it holds it too.)
    private func newRecord<Answer>(
        _ request: WorkflowRequest, by actor: String, answer: (Workflow) -> Answer
    ) throws(EngineError) -> (record: WorkflowRecord, answer: Answer) {
        guard let template = templates.template(for: request.type) else {
            throw .unknownWorkflowType(request.type, known: templates.types)
        }
        let plan = try template.plan(request.params)
        let definitions = plan.jobs

        let now = WallClock.nowMs()
        let id = workflowIDs.next(nowMs: now)
        let jobs = definitions.enumerated().map { position, definition in
            Job(id: Text.concatenated(id, "-j", String(position + 1)), name: definition.name, position: position, queue: definition.queue)
        }
        let deadline = plan.deadline
        let workflow = Workflow(
            id: id,
            type: request.type,
            summary: request.summary,
            status: .running,
            createdAtMs: now,
            startedAtMs: now,
            userID: request.userID,
            userName: request.userName,
            params: request.params,
            jobs: jobs,
            requestID: request.requestID,
            deadlineAtMs: deadline.map { WallClock.milliseconds($0.clampedToLongestWait, after: now) },
            startedBy: actor
        )
        let answered = answer(workflow)
        let record = WorkflowRecord(
            workflow: consume workflow, request: request, definitions: definitions, deadline: deadline, resultOutputs: template.resultOutputs
        )
        retain(record)
        creationOrder.append(record)
        if !request.requestID.isEmpty {
            workflowIDsByRequestID[RequestKey(request)] = id
        }
        // Only the engine appends, so the next sequence is this workflow's first; the workflow is
        // queued for the store before its first event, and so committed no later than it.
        record.firstSequence = events.nextSequence
        events.persist(record.workflow, firstSequence: record.firstSequence)
        events.append(
            event(
                record, .workflowStarted, level: .info,
                message: Text.concatenated("Workflow ", request.type, " started with ", String(jobs.count), " jobs", Self.byline(actor)),
                timestampMs: now, workflowStatus: .running, actor: actor
            )
        )
        logger.debug(
            "engine.workflow_started",
            metadata: ["workflow.id": "\(id)", "workflow.type": "\(request.type)", "workflow.jobs": "\(jobs.count)"]
        )
        return (record, answered)
    }

    /// The current state of a workflow: its jobs, their steps, progress and stats. With a store,
    /// a workflow that ended a while ago has only its jobs' step counts (`storedStepCount`), its
    /// steps being in the store, or, if it cannot run again, only its summary (no jobs): read
    /// the whole tree with ``snapshot(id:)`` and ``withStoredHistory(_:includingSteps:)``.
    ///
    /// - Parameter id: The workflow's id.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained.
    public func workflow(id: String) throws(EngineError) -> Workflow {
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        return record.workflow
    }

    /// The artifacts of every retained workflow: what an ``ArtifactStorage`` keeps when it
    /// sweeps away what a crash left.
    public func retainedArtifacts() -> [Artifact] {
        records.values.flatMap(\.workflow.artifacts)
    }

    /// The current state of a workflow, as ``workflow(id:)``, with its revision: a number that
    /// changes whenever the tree changes (status, jobs, steps, progress, stats) and is never
    /// given to another tree, so an encoding made for one revision can be reused while the
    /// revision stays the same.
    ///
    /// - Parameter id: The workflow's id.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained.
    public func workflowWithRevision(id: String) throws(EngineError) -> (workflow: Workflow, revision: UInt64) {
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        return (record.workflow, record.revision)
    }

    /// A workflow's tree with its revision (as ``workflowWithRevision(id:)``) and the newest
    /// event it reflects: a watcher that reads on after ``WorkflowSnapshot/asOfSequence``
    /// follows from this tree with no gap and no duplicate.
    ///
    /// Like the tree, that event may not be committed yet (the store can lag behind a burst
    /// of steps by seconds, and a reader should not wait for it): the log accepts it as a
    /// starting point and hands on what follows once it is committed.
    ///
    /// - Parameter id: The workflow's id.
    /// - Returns: The tree, its revision and the sequence of the newest event it reflects.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained.
    public func snapshot(id: String) throws(EngineError) -> WorkflowSnapshot {
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        return WorkflowSnapshot(
            workflow: record.workflow, revision: record.revision, asOfSequence: asOfSequence(of: record),
            stepsInStoreThrough: record.stepsInStoreThrough, treeInStore: record.treeInStore
        )
    }

    /// The newest event `record`'s tree reflects. An ended workflow's is its terminal event
    /// (nothing of it comes later; one restored already ended: the log's end at the restore),
    /// so reading it twice answers the same. A running one's is the newest event appended:
    /// only the engine appends, and it changes a tree and appends its events in one step, so
    /// every event appended so far is in the tree and none after it.
    private func asOfSequence(of record: WorkflowRecord) -> UInt64 {
        guard record.workflow.status != .running else { return events.lastAppendedSequence }
        return record.terminalSequence > 0 ? record.terminalSequence : restoredThroughSequence
    }

    /// Starts no more workflows, jobs or attempts from now on (``start(_:)`` and ``retry(id:)``
    /// throw ``EngineError/Code/shuttingDown``); running attempts go on. The first step of a
    /// shutdown, taken before the server says it is stopping, so no start slips in between.
    public func beginShutdown() {
        isShuttingDown = true
    }

    /// Stops the engine for a restart: starts no more workflows, jobs or attempts, gives the
    /// running attempts `gracePeriod` to end, and records those still running as interrupted,
    /// to run again when an engine next restores the same store.
    ///
    /// A job that ends within the grace period is recorded as usual (a failed one schedules its
    /// retry, which the next engine runs); its workflow's next job does not start. A job still
    /// running then is asked to stop (its context reports cancelled, its task is cancelled),
    /// and its attempt ends `interrupted` with a `jobInterrupted` event, not counted against
    /// the job's retry policy; its workflow stays RUNNING. A workflow a caller asked to cancel
    /// ends cancelled instead. Without a store, nothing resumes these workflows. An attempt a
    /// worker runs is neither waited for nor interrupted: its lease is stored, and the worker
    /// reports to the next engine on the same store.
    ///
    /// - Parameter gracePeriod: How long running attempts get to end.
    public func shutdown(gracePeriod: Duration = .zero) async {
        isShuttingDown = true
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: gracePeriod)
        while runningAttempts > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        workerDispatch.sweeper?.cancel()
        workerDispatch.sweeper = nil
        for record in records.values where record.workflow.status == .running {
            // Ending a returned attempt may schedule a retry: timers are cancelled after it.
            guard let attempt = record.attempt, !endAttemptAsItsFunctionEnded(record) else {
                record.cancelTimers()
                continue
            }
            record.cancelTimers()
            if attempt.lease != nil, record.workflow.cancelReason == nil, attempt.stopFailure == nil {
                // A worker runs it: its lease is stored, and the worker goes on reporting to the
                // next process.
                continue
            }
            if record.workflow.cancelReason != nil {
                // Asked to stop already: it ends cancelled now rather than running again later.
                attemptEnded(record, failure: nil, outcome: .failed)
            } else if let stop = attempt.stopFailure {
                // Timed out already, in its grace: a timeout, which counts, not an interruption.
                attemptEnded(record, failure: stop.failure, outcome: stop.outcome)
            } else {
                interruptAttempt(of: record)
            }
        }
    }

    /// Whether a workflow has ended and its terminal event is visible to watchers: with a
    /// store, the engine's state runs ahead of the committed log for a moment, and a watch that
    /// ended on the state alone could miss the terminal event.
    ///
    /// - Parameter id: The workflow's id.
    /// - Returns: `nil` when no such workflow is retained.
    public func hasVisiblyEnded(workflowID id: String) -> Bool? {
        guard let record = records[id] else { return nil }
        return record.workflow.status != .running && events.lastSequence >= record.terminalSequence
    }

    /// The sequence of a workflow's first event (`workflowStarted`), where a watcher of that
    /// workflow alone can start reading without scanning older events.
    ///
    /// - Parameter id: The workflow's id.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained.
    public func firstEventSequence(ofWorkflow id: String) throws(EngineError) -> UInt64 {
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        return record.firstSequence
    }
}
