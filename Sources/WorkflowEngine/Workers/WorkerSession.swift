import WorkflowModel

/// One connected worker's stream, as the engine sees it; owned by the engine actor.
final class WorkerSession {
    /// Names the connection in the worker's calls.
    let id: UInt64
    /// What the worker said about itself.
    let registration: WorkerRegistration
    /// When it connected, in Unix epoch milliseconds.
    let connectedAtMs: Int64
    /// Pushes a message to the worker, to be sent once its change is durable; called on the
    /// engine (through ``WorkflowEngine/send(_:to:)``).
    let deliver: @Sendable (WorkerDelivery, DurableResult<Void>) -> Void
    /// When it last sent a heartbeat or a report.
    var lastHeartbeatAtMs: Int64
    /// Set when a lease it held expired for want of a heartbeat while its stream looked open
    /// (a dead process behind a live proxy, a cut the server has not noticed): it gets no
    /// assignment until it is heard from again.
    var isSuspect = false
    /// Set when the worker said it is stopping (a draining heartbeat, a release): it gets no
    /// assignment on this connection again.
    var isDraining = false
    /// The epochs of the live leases it holds, each with its workflow: one slot each. Changed
    /// only by ``WorkflowEngine/bind(_:of:to:)`` and ``WorkflowEngine/unbind(_:of:)``, which also
    /// set the lease's side, so the two never disagree.
    var leases: [UInt64: String] = [:]

    init(id: UInt64, registration: WorkerRegistration, nowMs: Int64, deliver: @escaping @Sendable (WorkerDelivery, DurableResult<Void>) -> Void) {
        self.id = id
        self.registration = registration
        self.connectedAtMs = nowMs
        self.lastHeartbeatAtMs = nowMs
        self.deliver = deliver
    }

    /// How many more leases it can take.
    var freeSlots: Int { registration.slots - leases.count }

    /// Records that the worker was heard from (a heartbeat or a report) at `nowMs`.
    func heard(at nowMs: Int64) {
        lastHeartbeatAtMs = nowMs
        isSuspect = false
    }

    /// Whether it may take an assignment now: a free slot, heard from within `silence` (idle
    /// workers heartbeat too), neither suspect nor draining.
    func canTakeAssignment(nowMs: Int64, silence: Int64) -> Bool {
        freeSlots > 0 && !isSuspect && !isDraining && nowMs - lastHeartbeatAtMs <= silence
    }
}

/// The engine's state of remote work: connected workers, attempts waiting for one, and the
/// live leases the expiry sweep checks.
struct WorkerDispatchState {
    /// Connected workers by session id.
    var sessions: [UInt64: WorkerSession] = [:]
    /// Session ids by worker instance: a reconnecting instance replaces its old session.
    var sessionIDsByInstance: [String: UInt64] = [:]
    /// Session ids serving each queue, in connection order, and where the next search starts.
    var sessionIDsByQueue: [String: (ids: [UInt64], cursor: Int)] = [:]
    /// Attempts waiting for a worker, per queue, oldest first; an entry whose attempt ended or
    /// was assigned meanwhile is skipped.
    var waiting: [String: FIFOQueue<(workflowID: String, epoch: UInt64)>] = [:]
    /// Every live lease (waiting or held) by epoch, with its workflow: what the sweep checks.
    var liveLeases: [UInt64: String] = [:]
    /// The last session id given out.
    var lastSessionID: UInt64 = 0
    /// The periodic check of lease expiry, while any lease is live.
    var sweeper: Task<Void, Never>?
    /// Workers to tell that a lease ended, sent once the events recording the end are
    /// appended (so the notice is durable no earlier than the end it reports).
    var leaseEndNotices: [(sessionID: UInt64, lease: LeaseToken, reason: String)] = []
}
