/// How a job that a worker of another service runs is dispatched: the queue its attempts wait in,
/// and the timeouts of its lease.
///
/// Each attempt waits in ``queue`` until a connected worker serving it has a free slot, then
/// runs under a lease the worker keeps alive with heartbeats (any report counts as one). A
/// lease without a heartbeat for ``heartbeatTimeout`` expires and its attempt fails with
/// `TIMEOUT`, as does an attempt no worker took within ``scheduleToStartTimeout``; the job's
/// retry policy then decides what follows.
public struct RemoteJob: Sendable, Hashable {
    /// The queue, e.g. `import`.
    public var queue: String
    /// How long a lease lives after the worker's last heartbeat or report.
    public var heartbeatTimeout: Duration
    /// How long an attempt may wait for a worker; `nil` for as long as it takes.
    public var scheduleToStartTimeout: Duration?

    /// Creates a remote job's dispatch settings.
    ///
    /// - Parameters:
    ///   - queue: The queue its attempts wait in.
    ///   - heartbeatTimeout: How long a lease lives after the worker's last sign of life; 30 s
    ///     by default.
    ///   - scheduleToStartTimeout: How long an attempt may wait for a worker; `nil` (the
    ///     default) for as long as it takes.
    public init(queue: String, heartbeatTimeout: Duration = .seconds(30), scheduleToStartTimeout: Duration? = nil) {
        self.queue = queue
        self.heartbeatTimeout = heartbeatTimeout
        self.scheduleToStartTimeout = scheduleToStartTimeout
    }
}
