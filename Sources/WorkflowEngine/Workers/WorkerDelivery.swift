import WorkflowModel

/// What the engine pushes to a connected worker.
public enum WorkerDelivery: Sendable {
    /// Run this attempt of a job.
    case assignment(JobAssignment)
    /// Stop running an assignment; when `leaseEnded`, reports under it are refused from now on,
    /// else the engine waits (within the job's cancellation grace) for the attempt's end.
    case cancellation(LeaseToken, reason: String, leaseEnded: Bool)
}

/// One attempt of a remote job for a worker to run.
public struct JobAssignment: Sendable, Hashable {
    /// Names the attempt in every report.
    public var lease: LeaseToken
    /// The queue the attempt waited in.
    public var queue: String
    /// The workflow's type, e.g. `IMPORT_ASSETS`.
    public var workflowType: String
    /// The job's name.
    public var jobName: String
    /// The job's position in its workflow.
    public var jobPosition: Int
    /// The parameters the workflow was started with.
    public var params: [String: String]
    /// The same for every attempt of the job (see ``JobContext/idempotencyKey``).
    public var idempotencyKey: String
    /// How long the lease lives without a heartbeat or report.
    public var heartbeatTimeout: Duration
    /// When the attempt times out, in Unix epoch milliseconds; `nil` for never.
    public var deadlineAtMs: Int64?
    /// Who started the workflow.
    public var userID: String
    /// The outputs of the jobs before this one.
    public var inputs: JobInputs
}
