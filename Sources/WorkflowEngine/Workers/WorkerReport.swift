import WorkflowModel

/// What a worker reports for one assignment: the job's logger calls since its previous report,
/// the counters as they are now, and maybe the attempt's end.
public struct WorkerReport: Sendable, Hashable {
    /// One logger call.
    public enum Update: Sendable, Hashable {
        /// A step; a timestamp of 0 means now.
        case step(message: String, level: LogLevel, entity: EntityReference?, timestampMs: Int64)
        /// A progress update from 0 to 1; a timestamp of 0 means now.
        case progress(Double, message: String, timestampMs: Int64)
    }

    /// How the attempt ended.
    public enum End: Sendable, Hashable {
        /// The job's work is done; `outputs` is what it hands on to the jobs after it.
        case completed(outputs: [String: String])
        /// The attempt failed; unless `doNotRetry`, the job's retry policy decides what follows.
        case failed(error: String, stack: String, code: JobErrorCode, doNotRetry: Bool)
        /// The worker hands the attempt back unfinished: it ends interrupted, not counted against
        /// the retry policy, and the job waits for a worker again.
        case released(reason: String)
    }

    /// The assignment's lease.
    public var lease: LeaseToken
    /// 1 for the lease's first report, plus one per report after it.
    public var sequence: UInt64
    /// Steps and progress, in the order the job made them.
    public var updates: [Update]
    /// The counters' current values (absolute, so a repeated report counts once).
    public var counters: [String: Int64]
    /// The attempt's end, in the lease's last report.
    public var end: End?

    /// Creates a report.
    public init(lease: LeaseToken, sequence: UInt64, updates: [Update] = [], counters: [String: Int64] = [:], end: End? = nil) {
        self.lease = lease
        self.sequence = sequence
        self.updates = updates
        self.counters = counters
        self.end = end
    }
}
