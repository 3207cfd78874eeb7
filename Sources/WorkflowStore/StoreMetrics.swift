import CoreMetrics

/// What the store measures, through swift-metrics (exported by `workflowd` at `/metrics`).
struct StoreMetrics: Sendable {
    /// `workflow_store_commit_seconds`: how long each commit (one transaction) took.
    let commitDuration = Timer(label: "workflow_store_commit_seconds")
    /// `workflow_store_commit_events`: how many events each commit wrote (group commit's batch).
    let commitEvents = Recorder(label: "workflow_store_commit_events")
    /// `workflow_store_pruned_events_total`: events deleted by retention, and the steps of
    /// forgotten workflows that the log no longer held whole.
    let prunedEvents = Counter(label: "workflow_store_pruned_events_total")
}
