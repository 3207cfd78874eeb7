/// Names one attempt of one remote job handed to a worker: every report of the worker carries
/// it, and the engine applies a report only while its lease is the job's live one.
public struct LeaseToken: Sendable, Hashable, CustomStringConvertible {
    /// The workflow the job belongs to.
    public var workflowID: String
    /// The job's id.
    public var jobID: String
    /// The job's attempt the lease is for.
    public var attempt: Int
    /// Unique among every lease the engine ever granted, across restarts.
    public var epoch: UInt64

    /// Creates a lease token.
    public init(workflowID: String, jobID: String, attempt: Int, epoch: UInt64) {
        self.workflowID = workflowID
        self.jobID = jobID
        self.attempt = attempt
        self.epoch = epoch
    }

    /// "lease 42 (job wf-1-j2, attempt 1)".
    public var description: String { "lease \(epoch) (job \(jobID), attempt \(attempt))" }
}
