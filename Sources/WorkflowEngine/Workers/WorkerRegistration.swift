import WorkflowModel

/// Who a connecting worker is and what it serves: the hello of a worker's stream.
public struct WorkerRegistration: Sendable, Hashable {
    /// The worker's name and process.
    public var worker: WorkerRef
    /// The queues whose jobs it runs.
    public var queues: [String]
    /// How many jobs it runs at once.
    public var slots: Int
    /// Free-form labels, shown when listing workers.
    public var labels: [String: String]
    /// After a reconnect: the leases whose jobs it still runs.
    public var heldLeases: [LeaseToken]

    /// Creates a registration.
    public init(worker: WorkerRef, queues: [String], slots: Int, labels: [String: String] = [:], heldLeases: [LeaseToken] = []) {
        self.worker = worker
        self.queues = queues
        self.slots = slots
        self.labels = labels
        self.heldLeases = heldLeases
    }
}

/// What the engine answers a connecting worker.
public struct WorkerWelcome: Sendable {
    /// Names the worker's connection in its later calls.
    public var sessionID: UInt64
    /// How often the worker should send a heartbeat.
    public var heartbeatInterval: Duration
    /// The held leases that are live and the worker's again, each with the newest report of it
    /// the engine applied.
    public var resumedLeases: [ResumedLease]
}

/// A lease a reconnecting worker got back, and how far its reports got.
public struct ResumedLease: Sendable, Hashable {
    /// The lease.
    public var lease: LeaseToken
    /// The newest report of it the engine applied: the worker sends the later ones again.
    public var acceptedReports: UInt64
}
