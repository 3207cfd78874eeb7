import Synchronization
import WorkflowModel

/// What a job function gets to report its work: the job's logger.
///
/// The engine creates one context per job run and passes it to the job's function. Logging a
/// step is cheap and never waits for the engine: calls are buffered and recorded by the engine
/// in batches, in the order they were made. Everything logged before the function returns or
/// throws is recorded before the job's completion or failure.
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

    /// A key that is the same for every attempt of this job, across retries and restarts, and
    /// different for every other job of every workflow: jobs run at least once, so a job that
    /// calls another system passes it along (an idempotency key, a client token) so that a
    /// repeated attempt does not do the work twice. Two attempts can even overlap (one
    /// abandoned after its timeout, the next started): the system called must treat the key as
    /// a lock or a deduplication key, not only as a marker of work done.
    public var idempotencyKey: String { jobID }

    private struct State {
        var pending: [PendingJobUpdate] = []
        var counters: [String: Int64] = [:]
        /// Set once the engine took the final updates; later calls are ignored.
        var closed = false
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
        attempt: Int
    ) {
        self.engine = engine
        self.workflowID = workflowID
        self.workflowType = workflowType
        self.jobID = jobID
        self.jobName = jobName
        self.jobPosition = jobPosition
        self.params = params
        self.attempt = attempt
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
        let scheduleDrain = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pending.append(update)
            return state.pending.count == 1
        }
        if scheduleDrain {
            engine.scheduleDrain(of: self)
        }
    }

    /// Takes the buffered updates, oldest first.
    func takePending() -> [PendingJobUpdate] {
        state.withLock { state in
            guard !state.pending.isEmpty else { return [] }
            let pending = state.pending
            state.pending = []
            return pending
        }
    }

    /// Takes the last buffered updates and the counters, and ignores every later call.
    func close() -> (pending: [PendingJobUpdate], counters: [String: Int64]) {
        state.withLock { state in
            state.closed = true
            let pending = state.pending
            state.pending = []
            return (pending, state.counters)
        }
    }

    /// Asks the job to stop; see ``isCancelled``.
    func cancel() {
        state.withLock { $0.cancelled = true }
    }
}
