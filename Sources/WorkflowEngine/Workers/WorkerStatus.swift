import WorkflowModel

/// A connected worker, as ``WorkflowEngine/workers(servingQueue:)`` lists it.
public struct WorkerStatus: Sendable, Hashable {
    /// Who it is.
    public var worker: WorkerRef
    /// The queues it serves.
    public var queues: [String]
    /// How many jobs it runs at once.
    public var slots: Int
    /// How many slots its leases hold.
    public var slotsInUse: Int
    /// The live leases it holds (each holds one slot), oldest first.
    public var leases: [LeaseToken]
    /// Its labels.
    public var labels: [String: String]
    /// When its connection registered, in Unix epoch milliseconds.
    public var connectedAtMs: Int64
    /// When it last sent a heartbeat or report, in Unix epoch milliseconds.
    public var lastHeartbeatAtMs: Int64
}
