import WorkflowMessages

/// Workflows and events shaped like the TEST template's, for rendering tests.
enum Fixtures {
    static let startMs: Int64 = 1_700_000_000_000

    static func step(job: Int, item: Int, sequence: UInt64, level: WorkflowV1.LogLevel = .info) -> WorkflowV1.Step {
        WorkflowV1.Step(
            id: "s-\(job)-\(item)", message: level == .error ? "Failed to process item \(item) of 4" : "Processed item \(item) of 4",
            level: level, entity: WorkflowV1.EntityRef(tag: "ITEM-\(job)-\(item)", route: "/items/\(job)-\(item)"),
            timestampMs: startMs + Int64(sequence), sequence: sequence
        )
    }

    /// Fetch completed (4 steps), Process running at 50% (2 steps), Validate pending.
    static var runningWorkflow: WorkflowV1.Workflow {
        WorkflowV1.Workflow(
            id: "wf-0H5N3Q8T2ZK1", type: "TEST", summary: "Demo", status: .running,
            createdAtMs: startMs, startedAtMs: startMs, userID: "u-1", userName: "ada",
            params: ["jobs": "3", "fail_job": "2"],
            jobs: [
                WorkflowV1.Job(id: "j1", name: "Fetch", position: 0, status: .completed,
                               steps: (1...4).map { step(job: 1, item: $0, sequence: UInt64($0 * 2)) },
                               progress: 1, progressMessage: "Processed 4/4 items",
                               stats: WorkflowV1.Stats(durationMs: 412, counters: ["itemsProcessed": 4]),
                               startedAtMs: startMs, finishedAtMs: startMs + 412),
                WorkflowV1.Job(id: "j2", name: "Process", position: 1, status: .running,
                               steps: (1...2).map { step(job: 2, item: $0, sequence: UInt64(10 + $0 * 2)) },
                               progress: 0.5, progressMessage: "Processed 2/4 items", startedAtMs: startMs + 413),
                WorkflowV1.Job(id: "j3", name: "Validate", position: 2, status: .pending),
            ]
        )
    }

    static func event(_ sequence: UInt64, _ kind: WorkflowV1.LogEventKind, job: (id: String, name: String, position: Int32)? = nil) -> WorkflowV1.LogEvent {
        WorkflowV1.LogEvent(
            sequence: sequence, timestampMs: startMs + 1_000 + Int64(sequence), kind: kind, level: .info,
            message: "\(kind)", workflowID: "wf-0H5N3Q8T2ZK1", workflowType: "TEST", userID: "u-1",
            jobID: job?.id ?? "", jobName: job?.name ?? "", jobPosition: job?.position ?? 0
        )
    }

    static let process = (id: "j2", name: "Process", position: Int32(1))
    static let validate = (id: "j3", name: "Validate", position: Int32(2))

    /// The events that fail Process at its third step, as the engine sends them.
    static var failureEvents: [WorkflowV1.LogEvent] {
        var errorStep = event(20, .stepLogged, job: process)
        errorStep.level = .error
        errorStep.step = step(job: 2, item: 3, sequence: 20, level: .error)
        var jobFailed = event(21, .jobFailed, job: process)
        jobFailed.jobStatus = .failed
        jobFailed.error = "Simulated failure"
        var cancelled = event(22, .jobCancelled, job: validate)
        cancelled.jobStatus = .cancelled
        var notice = event(23, .failureNotice, job: process)
        notice.error = "Simulated failure"
        var failed = event(24, .workflowFailed)
        failed.workflowStatus = .failed
        failed.error = "Simulated failure"
        failed.stats = WorkflowV1.Stats(durationMs: 1_020, counters: ["itemsProcessed": 6, "itemsFailed": 1])
        return [errorStep, jobFailed, cancelled, notice, failed]
    }
}
