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
    /// Steps logged so far, in the order they were logged.
    public var steps: [Step]
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
    /// 1 for the first run of the job, plus one per retry that ran it again.
    public var attempt: Int

    /// Creates a job; a new job is pending with no steps.
    public init(
        id: String,
        name: String,
        position: Int,
        status: JobStatus = .pending,
        steps: [Step] = [],
        progress: Double = 0,
        progressMessage: String = "",
        stats: Stats = Stats(),
        error: String? = nil,
        stack: String? = nil,
        startedAtMs: Int64? = nil,
        finishedAtMs: Int64? = nil,
        attempt: Int = 1
    ) {
        self.id = id
        self.name = name
        self.position = position
        self.status = status
        self.steps = steps
        self.progress = progress
        self.progressMessage = progressMessage
        self.stats = stats
        self.error = error
        self.stack = stack
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.attempt = attempt
    }
}
