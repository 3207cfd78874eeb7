import Synchronization
import WorkflowModel

/// What a job function gets to report its work: the job's logger.
///
/// The engine creates one context per job run and passes it to the job's function. Logging a
/// step is cheap and never waits for the engine: calls are buffered and recorded by the engine
/// in batches, in the order they were made. Everything logged before the function returns or
/// throws is recorded before the job's completion or failure: a job that logs faster than the
/// store commits ends once its steps are recorded (its timeout stops counting when the function
/// returns).
///
/// ```swift
/// JobDefinition(name: "Fetch External Assets") { context in
///     let assets = try await fetch(context.params["file_path"] ?? "")
///     for (index, asset) in assets.enumerated() {
///         context.logStep("Fetched \(asset.tag)", entity: EntityReference(tag: asset.tag))
///         try context.updateProgress(Double(index + 1) / Double(assets.count))
///     }
///     context.recordStat("itemsFetched", Int64(assets.count))
/// }
/// ```
public final class JobContext: Sendable {
    /// The workflow the job belongs to.
    public let workflowID: String
    /// The workflow's type, e.g. `IMPORT_ASSETS`.
    public let workflowType: String
    /// The job's id.
    public let jobID: String
    /// The job's name, e.g. "Process Data".
    public let jobName: String
    /// Zero-based position of the job in its workflow.
    public let jobPosition: Int
    /// The parameters the workflow was started with.
    public let params: [String: String]
    /// Which attempt of the job this is: 1 for its first run, plus one per run after it.
    public let attempt: Int
    /// The outputs of the jobs before this one (see ``setOutput(_:_:)``).
    public let inputs: JobInputs

    /// A key that is the same for every attempt of this job, across retries and restarts, and
    /// different for every other job of every workflow: jobs run at least once, so a job that
    /// calls another system passes it along (an idempotency key, a client token) so that a
    /// repeated attempt does not do the work twice. Two attempts can even overlap (one
    /// abandoned after its timeout, the next started): the system called must treat the key as
    /// a lock or a deduplication key, not only as a marker of work done.
    public var idempotencyKey: String { jobID }

    /// How a job function ended: `failure` is what it threw, `nil` when it returned.
    struct FunctionOutcome: Sendable {
        let failure: JobFailureDescription?
    }

    private struct State {
        var pending = FIFOQueue<PendingJobUpdate>()
        /// How many updates the engine took so far: where `pending` starts, counting every
        /// update ever buffered.
        var taken = 0
        /// The updates one call buffered together, which one drain must take together (records
        /// with their steps, an artifact with its step), by their place in that count.
        var groups = FIFOQueue<Range<Int>>()
        var counters: [String: Int64] = [:]
        var outputs: [String: String] = [:]
        var outputBytes = 0
        /// Set once the job function returned or the engine took the final updates; later
        /// calls are ignored.
        var closed = false
        /// How the job function ended, once it did.
        var functionOutcome: FunctionOutcome?
        /// The ended job function, waiting until at most `limit` updates are left buffered.
        var finishWaiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?
        var cancelled = false
    }

    /// The engine that records the updates.
    private let engine: WorkflowEngine
    // Sendable: every mutable field lives in the Mutex; the rest are immutable Sendable values.
    private let state = Mutex(State())

    init(
        engine: WorkflowEngine,
        workflowID: String,
        workflowType: String,
        jobID: String,
        jobName: String,
        jobPosition: Int,
        params: [String: String],
        attempt: Int,
        inputs: JobInputs = JobInputs()
    ) {
        self.engine = engine
        self.workflowID = workflowID
        self.workflowType = workflowType
        self.jobID = jobID
        self.jobName = jobName
        self.jobPosition = jobPosition
        self.params = params
        self.attempt = attempt
        self.inputs = inputs
    }

    /// Records one operation of the job, such as "Created P-101".
    ///
    /// The step becomes part of the job's steps and a `stepLogged` event shortly after; the
    /// call itself only appends to a buffer. Calls made after the job function returned are
    /// ignored.
    ///
    /// - Parameters:
    ///   - message: What happened; make it specific ("Created P-101", not "Processing...").
    ///   - level: Severity; `info` by default.
    ///   - entity: The entity the step is about, so a console can link to it.
    public func logStep(_ message: String, level: LogLevel = .info, entity: EntityReference? = nil) {
        let entity = entity?.isEmpty == true ? nil : entity
        enqueue(.step(message: message, level: level, entity: entity, timestampMs: WallClock.nowMs()))
    }

    /// Records `steps` and keeps `records` in the engine's store in the same commit as them, so a
    /// crash keeps all of them or none: "Created P-101" is never stored without P-101, nor
    /// P-101 without its step.
    ///
    /// ```swift
    /// let write = registry.upsert(draft)
    /// context.logSteps([StepEntry("Created Pump P-101", entity: write.asset.entity)], keeping: write.records)
    /// ```
    ///
    /// - Parameters:
    ///   - steps: The steps, in order; they are recorded as ``logStep(_:level:entity:)`` does.
    ///   - records: What to keep (see ``StoredRecord``); without a store they are dropped.
    public func logSteps(_ steps: [StepEntry], keeping records: [StoredRecord]) {
        let timestampMs = WallClock.nowMs()
        var updates: [PendingJobUpdate] = []
        updates.reserveCapacity(steps.count + 1)
        if !records.isEmpty {
            updates.append(.records(records))
        }
        for step in steps {
            let entity = step.entity?.isEmpty == true ? nil : step.entity
            updates.append(.step(message: step.message, level: step.level, entity: entity, timestampMs: timestampMs))
        }
        enqueue(contentsOf: updates)
    }

    /// Adds a file the job stored to its workflow's artifacts (replacing an earlier one of the
    /// same name, from an earlier attempt) and logs `message` as a step naming it, in one
    /// commit.
    ///
    /// - Parameters:
    ///   - name: The file name, e.g. `assets.xlsx` (see ``Artifact/isValidName(_:)``).
    ///   - contentType: Its media type.
    ///   - sizeBytes: Its size.
    ///   - sha256: Its SHA-256 as 64 lowercase hex digits.
    ///   - message: The step, e.g. "Wrote assets.xlsx: 16 assets".
    /// - Returns: The artifact as the workflow lists it.
    @discardableResult
    public func recordArtifact(name: String, contentType: String, sizeBytes: Int64, sha256: String, message: String) -> Artifact {
        let timestampMs = WallClock.nowMs()
        let artifact = Artifact(
            name: name, contentType: contentType, sizeBytes: sizeBytes, sha256: sha256,
            workflowID: workflowID, jobID: jobID, createdAtMs: timestampMs
        )
        enqueue(contentsOf: [.artifact(artifact), .step(message: message, level: .info, entity: artifact.entity, timestampMs: timestampMs)])
        return artifact
    }

    /// Sets the output `name` to `value`: what this job hands on to the jobs after it (they read
    /// it from ``inputs``). Outputs count only when the job completes; they are stored with the
    /// workflow, shown by `GetWorkflow` and sent in the `JOB_COMPLETED` event.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` when the name is not 1 to 128 letters,
    ///   digits, `_`, `.` or `-`, or the outputs would take more than
    ///   ``JobOutputLimits/maxTotalBytes`` (see ``JobOutputLimits``); the outputs are unchanged.
    public func setOutput(_ name: String, _ value: String) throws(EngineError) {
        try JobOutputLimits.checkName(name)
        let total = try state.withLock { state throws(EngineError) -> Int in
            let previous = state.outputs[name].map { name.utf8.count + $0.utf8.count } ?? 0
            let total = state.outputBytes - previous + name.utf8.count + value.utf8.count
            guard total <= JobOutputLimits.maxTotalBytes else { return total }
            state.outputs[name] = value
            state.outputBytes = total
            return total
        }
        if total > JobOutputLimits.maxTotalBytes {
            throw .invalidArgument(
                field: "outputs.\(name)",
                reason: "would make the job's outputs take \(total) bytes; they may take at most \(JobOutputLimits.maxTotalBytes) "
                    + "bytes of names and values (hand bulk data on as an artifact or an uploaded file, and its id as an output)"
            )
        }
    }

    /// The outputs set so far.
    public var outputs: [String: String] {
        state.withLock { $0.outputs }
    }

    /// Reports how far the job is, from 0 to 1.
    ///
    /// - Parameters:
    ///   - progress: The fraction done, from 0 to 1.
    ///   - message: What the progress means, e.g. "Processing 50/100 items".
    /// - Throws: ``EngineError/Code/invalidArgument`` (field `progress`) when `progress` is
    ///   NaN or outside 0...1.
    public func updateProgress(_ progress: Double, message: String = "") throws(EngineError) {
        guard progress.isFinite, (0...1).contains(progress) else {
            throw .invalidArgument(field: "progress", reason: "must be a number from 0 to 1, got \(progress)")
        }
        enqueue(.progress(progress, message: message, timestampMs: WallClock.nowMs()))
    }

    /// Sets the counter `name` to `value`, e.g. `recordStat("itemsCreated", 95)`.
    public func recordStat(_ name: String, _ value: Int64) {
        state.withLock { $0.counters[name] = value }
    }

    /// Adds `amount` to the counter `name` (starting from 0).
    public func incrementStat(_ name: String, by amount: Int64 = 1) {
        state.withLock { $0.counters[name, default: 0] &+= amount }
    }

    /// Whether the attempt was asked to stop (a cancel request, its timeout, the workflow's
    /// deadline, a shutdown); a long job checks it between items and returns early.
    public var isCancelled: Bool {
        state.withLock { $0.cancelled }
    }

    /// The counters recorded so far.
    public var counters: [String: Int64] {
        state.withLock { $0.counters }
    }

    /// Buffers `update` and, if the buffer was empty, schedules one drain onto the engine.
    private func enqueue(_ update: PendingJobUpdate) {
        enqueue(contentsOf: CollectionOfOne(update))
    }

    /// Buffers `updates` together (one drain takes all of them) and, if the buffer was empty,
    /// schedules one drain onto the engine.
    private func enqueue(contentsOf updates: some Collection<PendingJobUpdate>) {
        let scheduleDrain = state.withLock { state -> Bool in
            guard !state.closed, !updates.isEmpty else { return false }
            let wasEmpty = state.pending.isEmpty
            if updates.count > 1 {
                let start = state.taken + state.pending.count
                state.groups.push(start..<(start + updates.count))
            }
            for update in updates {
                state.pending.push(update)
            }
            return wasEmpty
        }
        if scheduleDrain {
            engine.scheduleDrain(of: self)
        }
    }

    /// Takes the oldest buffered updates: `maxCount` of them, or more so as not to part updates
    /// buffered together, or all of them when fewer are left.
    ///
    /// - Parameter maxCount: How many to take at most (at least 1), short of a group's end.
    /// - Returns: The updates, oldest first, and whether more are left.
    func takePending(upTo maxCount: Int) -> (updates: [PendingJobUpdate], more: Bool) {
        precondition(maxCount > 0, "a drain takes at least one update")
        let (updates, more, finished) = state.withLock { state in
            var end = state.taken + min(maxCount, state.pending.count)
            while let group = state.groups.first, group.lowerBound < end {
                end = max(end, group.upperBound)
                _ = state.groups.pop()
            }
            let updates = state.pending.pop(upTo: end - state.taken)
            state.taken = end
            var finished: CheckedContinuation<Void, Never>?
            if let waiter = state.finishWaiter, state.pending.count <= waiter.limit {
                finished = waiter.continuation
                state.finishWaiter = nil
            }
            return (updates, !state.pending.isEmpty, finished)
        }
        finished?.resume()
        return (updates, more)
    }

    /// Records how the job function ended and ignores every later call.
    ///
    /// - Parameters:
    ///   - failure: What the function threw; `nil` when it returned.
    ///   - limit: How many updates may be left for the engine to take with the attempt's end.
    /// - Returns: Whether more than `limit` are still buffered: the caller then waits with
    ///   ``waitUntilTaken(leavingAtMost:)`` before it ends the attempt. A job that logged faster
    ///   than the store commits thus ends once its steps are recorded, not in one enormous commit
    ///   (unless a shutdown, a deadline or a grace's end ends the attempt first, and with it
    ///   takes all that is left).
    func finishLogging(endedWith failure: JobFailureDescription?, leavingAtMost limit: Int) -> Bool {
        state.withLock { state in
            state.closed = true
            state.functionOutcome = FunctionOutcome(failure: failure)
            return state.pending.count > limit
        }
    }

    /// Waits until the engine has taken all but `limit` of the buffered updates, or the attempt
    /// ended.
    func waitUntilTaken(leavingAtMost limit: Int) async {
        await withCheckedContinuation { continuation in
            let waits = state.withLock { state in
                guard state.pending.count > limit else { return false }
                state.finishWaiter = (limit, continuation)
                return true
            }
            if !waits {
                continuation.resume()
            }
        }
    }

    /// How the job function ended, once it did (see
    /// ``finishLogging(endedWith:leavingAtMost:)``); `nil` while it runs.
    var functionOutcome: FunctionOutcome? {
        state.withLock { $0.functionOutcome }
    }

    /// Takes the last buffered updates, the counters and the outputs, and ignores every later
    /// call.
    func close() -> AttemptReport {
        let (report, finished) = state.withLock { state in
            state.closed = true
            let pending = state.pending.popAll()
            state.taken += pending.count
            state.groups = FIFOQueue()
            let waiter = state.finishWaiter
            state.finishWaiter = nil
            return (AttemptReport(pending: pending, counters: state.counters, outputs: state.outputs), waiter?.continuation)
        }
        finished?.resume()
        return report
    }

    /// Asks the job to stop; see ``isCancelled``.
    func cancel() {
        state.withLock { $0.cancelled = true }
    }
}
