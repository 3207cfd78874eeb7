import WorkflowMessages

/// Everything the live view shows about one workflow, as a value: a `GetWorkflow` snapshot
/// with the log events that followed it applied in order.
///
/// Applying is idempotent for the events a watch replays after the snapshot: statuses and
/// progress are absolute values, and a step is counted only if its sequence is newer than the
/// newest step the job already has. So the live view takes a snapshot, then watches from
/// ``resumeAfterSequence`` (the newest step in the snapshot), and never counts a step twice.
///
/// ```swift
/// var state = WorkflowViewState(workflow: snapshot)
/// for try await event in events { state.apply(event) }
/// let lines = LiveViewRenderer(width: 100, height: 40).render(state, nowMs: TimeText.nowMs())
/// ```
package struct WorkflowViewState: Hashable, Sendable {
    /// How many of the newest steps the view keeps.
    package static let recentStepLimit = 8

    /// The workflow's id.
    package var workflowID: String
    /// Its type, such as `TEST`.
    package var type: String
    /// Its summary.
    package var summary: String
    /// Who started it.
    package var userName: String
    /// Its parameters.
    package var params: [String: String]
    /// Its status.
    package var status: WorkflowV1.WorkflowStatus
    /// When it started, in Unix epoch milliseconds; 0 if unknown.
    package var startedAtMs: Int64
    /// When it finished, in Unix epoch milliseconds; 0 while it runs.
    package var finishedAtMs: Int64
    /// Its duration as the engine measured it, once it finished.
    package var durationMs: Int64?
    /// Its counters (the sum of its jobs'), once it finished.
    package var counters: [String: Int64]
    /// The error it failed with.
    package var error: String
    /// The name of the job it failed at.
    package var failedJobName: String
    /// The jobs, in workflow order.
    package private(set) var jobs: [JobViewState]
    /// The newest steps, oldest first, at most ``recentStepLimit``.
    package private(set) var recentSteps: [RecentStep]
    /// The newest step sequence in the snapshot: watch after it to miss nothing.
    package private(set) var resumeAfterSequence: UInt64
    /// A line about the connection (such as "reconnecting…"), shown until cleared.
    package var connectionNotice: String?

    /// Creates the state from a `GetWorkflow` snapshot.
    ///
    /// - Parameter workflow: The workflow tree.
    package init(workflow: WorkflowV1.Workflow) {
        self.workflowID = workflow.id
        self.type = workflow.type
        self.summary = workflow.summary
        self.userName = workflow.userName.isEmpty ? workflow.userID : workflow.userName
        self.params = workflow.params
        self.status = workflow.status
        self.startedAtMs = workflow.startedAtMs > 0 ? workflow.startedAtMs : workflow.createdAtMs
        self.finishedAtMs = workflow.finishedAtMs
        self.durationMs = workflow.finishedAtMs > 0 ? workflow.stats?.durationMs : nil
        self.counters = workflow.stats?.counters ?? [:]
        self.error = workflow.error
        self.failedJobName = workflow.failedJobName
        self.jobs = workflow.jobs.sorted { $0.position < $1.position }.map(JobViewState.init)
        var steps: [RecentStep] = []
        for job in workflow.jobs {
            for step in job.steps.suffix(Self.recentStepLimit) {
                steps.append(RecentStep(
                    sequence: step.sequence, timestampMs: step.timestampMs, level: step.level,
                    jobName: job.name, entityTag: step.entity?.tag ?? "", message: step.message
                ))
            }
        }
        self.recentSteps = Array(steps.sorted { $0.sequence < $1.sequence }.suffix(Self.recentStepLimit))
        self.resumeAfterSequence = jobs.map(\.lastStepSequence).max() ?? 0
        self.connectionNotice = nil
    }

    /// Whether the workflow reached COMPLETED, FAILED or CANCELLED.
    package var isFinished: Bool {
        status == .completed || status == .failed || status == .cancelled
    }

    /// How long the workflow ran, or has been running at `nowMs`.
    ///
    /// - Parameter nowMs: The current time in Unix epoch milliseconds.
    /// - Returns: The duration in milliseconds.
    package func elapsedMs(nowMs: Int64) -> Int64 {
        if let durationMs { return durationMs }
        guard startedAtMs > 0 else { return 0 }
        return (finishedAtMs > 0 ? finishedAtMs : nowMs) - startedAtMs
    }

    /// Updates the state with one event of this workflow; events of other workflows are
    /// ignored.
    ///
    /// - Parameter event: The event.
    package mutating func apply(_ event: WorkflowV1.LogEvent) {
        guard event.workflowID == workflowID else { return }
        switch event.kind {
        case .workflowStarted:
            status = .running
            if startedAtMs == 0 { startedAtMs = event.timestampMs }
        case .workflowCompleted, .workflowFailed, .workflowCancelled:
            status = event.workflowStatus != .unspecified ? event.workflowStatus : Self.status(ending: event.kind)
            finishedAtMs = event.timestampMs
            if let stats = event.stats {
                durationMs = stats.durationMs
                counters = stats.counters
            }
            if !event.error.isEmpty { error = event.error }
            if !event.jobName.isEmpty, event.kind == .workflowFailed, failedJobName.isEmpty { failedJobName = event.jobName }
        case .jobStarted:
            // The first attempt, or a later one starting over after a retry or a restart.
            updateJob(of: event) { job in
                job.status = .running
                job.startedAtMs = event.timestampMs
                job.finishedAtMs = 0
                job.durationMs = nil
                job.error = ""
                job.progress = 0
                job.progressMessage = ""
            }
        case .jobCompleted, .jobFailed, .jobCancelled:
            updateJob(of: event) { job in
                job.status = event.jobStatus != .unspecified ? event.jobStatus : Self.jobStatus(ending: event.kind)
                job.finishedAtMs = event.timestampMs
                if let stats = event.stats {
                    job.durationMs = stats.durationMs
                    job.counters = stats.counters
                }
                if !event.error.isEmpty { job.error = event.error }
            }
            if event.kind == .jobFailed {
                failedJobName = event.jobName
                if !event.error.isEmpty { error = event.error }
            }
        case .stepLogged:
            var isNew = false
            updateJob(of: event) { job in
                guard event.sequence > job.lastStepSequence else { return }
                job.stepCount += 1
                job.lastStepSequence = event.sequence
                isNew = true
            }
            if isNew, let step = event.step {
                remember(RecentStep(
                    sequence: event.sequence, timestampMs: event.timestampMs, level: step.level,
                    jobName: event.jobName, entityTag: step.entity?.tag ?? "", message: step.message
                ))
            }
        case .progressUpdated:
            updateJob(of: event) { job in
                job.progress = event.progress
                job.progressMessage = event.progressMessage.isEmpty ? event.message : event.progressMessage
            }
        case .workflowRetried:
            // The failed job and every later one run again; completed jobs keep their state.
            status = .running
            finishedAtMs = 0
            durationMs = nil
            error = ""
            failedJobName = ""
            for index in jobs.indices where jobs[index].position >= event.jobPosition {
                jobs[index].status = .pending
                jobs[index].progress = 0
                jobs[index].progressMessage = ""
                jobs[index].startedAtMs = 0
                jobs[index].finishedAtMs = 0
                jobs[index].durationMs = nil
                jobs[index].error = ""
            }
            remember(RecentStep(
                sequence: event.sequence, timestampMs: event.timestampMs, level: event.level,
                jobName: event.jobName, entityTag: "", message: event.message
            ))
        case .failureNotice:
            if !event.jobName.isEmpty { failedJobName = event.jobName }
            if !event.error.isEmpty { error = event.error }
        default:
            // A kind this build does not know (a newer server's): show its message as a line.
            remember(RecentStep(
                sequence: event.sequence, timestampMs: event.timestampMs, level: event.level,
                jobName: event.jobName, entityTag: "", message: event.message
            ))
        }
    }

    private mutating func remember(_ step: RecentStep) {
        recentSteps.append(step)
        if recentSteps.count > Self.recentStepLimit { recentSteps.removeFirst(recentSteps.count - Self.recentStepLimit) }
    }

    /// Applies `change` to the job the event names (by id, else by position); an event for a
    /// job the snapshot did not have adds it.
    private mutating func updateJob(of event: WorkflowV1.LogEvent, _ change: (inout JobViewState) -> Void) {
        let index = jobs.firstIndex { !event.jobID.isEmpty && $0.id == event.jobID }
            ?? jobs.firstIndex { event.jobID.isEmpty && $0.position == event.jobPosition }
        if let index {
            change(&jobs[index])
            return
        }
        var job = JobViewState(WorkflowV1.Job(id: event.jobID, name: event.jobName, position: event.jobPosition, status: .pending))
        change(&job)
        jobs.append(job)
        jobs.sort { $0.position < $1.position }
    }

    private static func status(ending kind: WorkflowV1.LogEventKind) -> WorkflowV1.WorkflowStatus {
        switch kind {
        case .workflowCompleted: .completed
        case .workflowFailed: .failed
        default: .cancelled
        }
    }

    private static func jobStatus(ending kind: WorkflowV1.LogEventKind) -> WorkflowV1.JobStatus {
        switch kind {
        case .jobCompleted: .completed
        case .jobFailed: .failed
        default: .cancelled
        }
    }
}
