/// One attempt of a job that ended without completing it: it failed, timed out, or was
/// interrupted by a stop of the server.
///
/// A job keeps every such attempt in ``Job/failedAttempts``, oldest first, so a console can show
/// why each earlier run did not succeed; the steps each attempt logged stay in ``Job/steps``
/// with their ``Step/attempt``.
public struct JobAttempt: Sendable, Hashable {
    /// How an attempt ended.
    public enum Outcome: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The job function threw.
        case failed
        /// The attempt ran longer than its job's start-to-close timeout.
        case timedOut
        /// The server stopped (a shutdown, a crash or a kill) while the attempt ran.
        case interrupted

        /// The upper-case name used by the API, e.g. `TIMED_OUT`.
        public var description: String {
            switch self {
            case .failed: "FAILED"
            case .timedOut: "TIMED_OUT"
            case .interrupted: "INTERRUPTED"
            }
        }
    }

    /// The attempt's number: 1 for the job's first run.
    public var number: Int
    /// How the attempt ended.
    public var outcome: Outcome
    /// When the attempt started, in Unix epoch milliseconds.
    public var startedAtMs: Int64
    /// When the attempt ended, in Unix epoch milliseconds.
    public var finishedAtMs: Int64
    /// What went wrong, e.g. "Connection reset".
    public var error: String
    /// The kind of error, e.g. `ERROR`, `TIMEOUT`, `INTERRUPTED` or a job's own code.
    public var errorCode: String
    /// Where it went wrong.
    public var stack: String
    /// The worker that ran the attempt; `nil` for a job that runs in the server.
    public var worker: WorkerRef?
    /// The attempt's lease, for a remote job: a report of it sent again is recognised.
    public var lease: JobLease?

    /// Creates an ended attempt.
    public init(
        number: Int,
        outcome: Outcome,
        startedAtMs: Int64,
        finishedAtMs: Int64,
        error: String,
        errorCode: String,
        stack: String,
        worker: WorkerRef? = nil,
        lease: JobLease? = nil
    ) {
        self.number = number
        self.outcome = outcome
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.error = error
        self.errorCode = errorCode
        self.stack = stack
        self.worker = worker
        self.lease = lease
    }
}
