import WorkflowModel

/// The lease of a remote job's running attempt: waiting for a worker, then held by one.
struct RemoteLease {
    /// Names the attempt in the worker's reports.
    let token: LeaseToken
    /// How the job is dispatched.
    let remote: RemoteJob
    /// The connection of the worker that holds it; `nil` while it waits for a worker, or after
    /// its worker's connection closed (until the worker reconnects or the lease expires).
    var sessionID: UInt64?
    /// The worker that took it; `nil` while it waits for its first worker.
    var worker: WorkerRef?
    /// The newest report the engine applied.
    var acceptedReports: UInt64
    /// The counters as last reported.
    var counters: [String: Int64] = [:]
    /// The outputs the worker's completion reported.
    var outputs: [String: String] = [:]
    /// When the lease expires (no heartbeat) or, before a worker took it, when its
    /// schedule-to-start timeout passes, in Unix epoch milliseconds.
    var expiresAtMs: Int64

    /// Whether a worker took the attempt.
    var isAssigned: Bool { worker != nil }
}
