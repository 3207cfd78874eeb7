/// A phase of a workflow, such as "Fetch External Assets", with the steps it logged.
///
/// Jobs of a workflow run strictly one after another in ``position`` order.
public struct Job: Sendable, Hashable {
    /// Unique identifier of the job.
    public var id: String
    /// Human-readable name of the phase, e.g. "Process Data".
    public var name: String
    /// Zero-based position of the job in its workflow.
    public var position: Int
    /// Lifecycle state.
    public var status: JobStatus
    /// Steps logged so far, in the order they were logged; with ``storedStepCount`` above 0,
    /// only the newest of them (the older ones are in the store).
    public var steps: [Step]
    /// How many of the job's steps, older than those in ``steps``, only the store holds: an
    /// engine with a store lets go of a finished workflow's steps and reads them back when a
    /// caller asks for the whole tree.
    public var storedStepCount: Int
    /// Progress from 0 to 1 as last reported by the job (1 once it completed).
    public var progress: Double
    /// The message of the last progress update, e.g. "Processing 50/100 items".
    public var progressMessage: String
    /// Duration and counters; set when the job finishes.
    public var stats: Stats
    /// The error the job failed with.
    public var error: String?
    /// Where the job failed: a stack or another useful trace of the error.
    public var stack: String?
    /// When the job started, in Unix epoch milliseconds; `nil` until it starts.
    public var startedAtMs: Int64?
    /// When the job finished (or was cancelled), in Unix epoch milliseconds.
    public var finishedAtMs: Int64?
    /// The job's current or last attempt: 1 for its first run, plus one per run after it
    /// (an automatic retry, a resume after a restart, or a retry of the workflow).
    public var attempt: Int
    /// When the current or last attempt started, in Unix epoch milliseconds; `nil` until the
    /// job starts.
    public var attemptStartedAtMs: Int64?
    /// Every attempt that failed, timed out or was interrupted, oldest first.
    public var failedAttempts: [JobAttempt]
    /// While the job waits to run again after a failed attempt: when the next attempt starts, in
    /// Unix epoch milliseconds. The job stays ``JobStatus/running`` meanwhile.
    public var nextAttemptAtMs: Int64?
    /// The first attempt the job's retry policy counts: 1, or the attempt a retry of the
    /// workflow started, which gives the job its whole budget of attempts again.
    public var firstCountedAttempt: Int
    /// Attempts since ``firstCountedAttempt`` that the retry policy does not count: those a
    /// shutdown of the server interrupted (a deploy never uses up a job's attempts).
    public var uncountedAttempts: Int
    /// For a remote job: the queue its attempts wait in for a worker; `nil` for a job that runs
    /// in the server.
    public var queue: String?
    /// For a remote job: the worker that runs (or ran) the current or last attempt; `nil` until a
    /// worker took it.
    public var worker: WorkerRef?
    /// For a remote job: the lease of the current or last attempt; `nil` before its first one.
    public var lease: JobLease?
    /// What the job handed on to the jobs after it (set when it completes), e.g.
    /// `["rows_read": "16"]`.
    public var outputs: [String: String]

    /// Creates a job; a new job is pending with no steps.
    public init(
        id: String,
        name: String,
        position: Int,
        status: JobStatus = .pending,
        steps: [Step] = [],
        storedStepCount: Int = 0,
        progress: Double = 0,
        progressMessage: String = "",
        stats: Stats = Stats(),
        error: String? = nil,
        stack: String? = nil,
        startedAtMs: Int64? = nil,
        finishedAtMs: Int64? = nil,
        attempt: Int = 1,
        attemptStartedAtMs: Int64? = nil,
        failedAttempts: [JobAttempt] = [],
        nextAttemptAtMs: Int64? = nil,
        firstCountedAttempt: Int = 1,
        uncountedAttempts: Int = 0,
        queue: String? = nil,
        worker: WorkerRef? = nil,
        lease: JobLease? = nil,
        outputs: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.position = position
        self.status = status
        self.steps = steps
        self.storedStepCount = storedStepCount
        self.progress = progress
        self.progressMessage = progressMessage
        self.stats = stats
        self.error = error
        self.stack = stack
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.attempt = attempt
        self.attemptStartedAtMs = attemptStartedAtMs
        self.failedAttempts = failedAttempts
        self.nextAttemptAtMs = nextAttemptAtMs
        self.firstCountedAttempt = firstCountedAttempt
        self.uncountedAttempts = uncountedAttempts
        self.queue = queue
        self.worker = worker
        self.lease = lease
        self.outputs = outputs
    }

    /// How many steps the job logged: those in ``steps`` and those only the store holds.
    public var stepCount: Int {
        storedStepCount + steps.count
    }

    /// Lets go of the steps in ``steps``, counting them in ``storedStepCount``: for a job whose
    /// steps the store holds.
    public mutating func leaveStepsToStore() {
        storedStepCount = stepCount
        steps = []
    }

    /// How many attempts the retry policy has counted so far, the current one included.
    public var countedAttempts: Int {
        attempt - firstCountedAttempt + 1 - uncountedAttempts
    }
}
