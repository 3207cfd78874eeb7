import CoreMetrics
import WorkflowEngine

/// The gauges of connected workers, refreshed from the engine when metrics are scraped:
/// `workflow_workers_connected`, `workflow_worker_slots{state="used"|"free"}` and
/// `workflow_worker_leases` (leases workers hold now).
struct WorkerGauges: Sendable {
    private let connected = Gauge(label: "workflow_workers_connected")
    private let usedSlots = Gauge(label: "workflow_worker_slots", dimensions: [("state", "used")])
    private let freeSlots = Gauge(label: "workflow_worker_slots", dimensions: [("state", "free")])
    private let leases = Gauge(label: "workflow_worker_leases")

    /// Sets every gauge from `workers`.
    func record(_ workers: [WorkerStatus]) {
        let used = workers.reduce(0) { $0 + $1.slotsInUse }
        let total = workers.reduce(0) { $0 + $1.slots }
        connected.record(workers.count)
        usedSlots.record(used)
        freeSlots.record(max(0, total - used))
        leases.record(workers.reduce(0) { $0 + $1.leases.count })
    }
}
