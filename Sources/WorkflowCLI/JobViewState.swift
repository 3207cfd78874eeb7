import WorkflowMessages

/// What the live view knows about one job: built from the workflow snapshot, then kept up to
/// date by log events.
package struct JobViewState: Hashable, Sendable {
    /// The job's id.
    package var id: String
    /// The job's display name.
    package var name: String
    /// The zero-based position in the workflow.
    package var position: Int32
    /// The job's status.
    package var status: WorkflowV1.JobStatus
    /// Progress from 0 to 1.
    package var progress: Double
    /// What the job reported with its progress.
    package var progressMessage: String
    /// How many steps the job logged.
    package var stepCount: Int
    /// The sequence of the newest step counted in ``stepCount``; older step events are not
    /// counted again when a watch replays them.
    package var lastStepSequence: UInt64
    /// When the job started, in Unix epoch milliseconds; 0 if it has not.
    package var startedAtMs: Int64
    /// When the job finished, in Unix epoch milliseconds; 0 if it has not.
    package var finishedAtMs: Int64
    /// The duration the engine measured, once the job finished.
    package var durationMs: Int64?
    /// The job's counters, once it finished.
    package var counters: [String: Int64]
    /// The error it failed with.
    package var error: String

    /// Creates the state of a job as `GetWorkflow` returned it.
    ///
    /// - Parameter job: The job.
    package init(_ job: WorkflowV1.Job) {
        self.id = job.id
        self.name = job.name
        self.position = job.position
        self.status = job.status
        self.progress = job.progress
        self.progressMessage = job.progressMessage
        self.stepCount = max(job.steps.count, Int(job.stepCount))
        self.lastStepSequence = job.steps.map(\.sequence).max() ?? 0
        self.startedAtMs = job.startedAtMs
        self.finishedAtMs = job.finishedAtMs
        self.durationMs = job.finishedAtMs > 0 ? job.stats?.durationMs : nil
        self.counters = job.stats?.counters ?? [:]
        self.error = job.error
    }

    /// How long the job ran, or has been running at `nowMs`; `nil` before it started.
    ///
    /// - Parameter nowMs: The current time in Unix epoch milliseconds.
    /// - Returns: The duration in milliseconds.
    package func elapsedMs(nowMs: Int64) -> Int64? {
        if let durationMs { return durationMs }
        guard startedAtMs > 0 else { return nil }
        return (finishedAtMs > 0 ? finishedAtMs : nowMs) - startedAtMs
    }
}
