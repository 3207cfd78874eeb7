import WorkflowMessages
import WorkflowModel

// Conversions between the domain model and the `workflow.v1` wire messages. The wire has no
// optionals for scalars: an absent value is the proto3 default (0 or "").

extension WorkflowV1.WorkflowStatus {
    init(_ status: WorkflowStatus) {
        switch status {
        case .running: self = .running
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

extension WorkflowV1.JobStatus {
    init(_ status: JobStatus) {
        switch status {
        case .pending: self = .pending
        case .running: self = .running
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

extension WorkflowV1.LogLevel {
    init(_ level: LogLevel) {
        switch level {
        case .debug: self = .debug
        case .info: self = .info
        case .warn: self = .warn
        case .error: self = .error
        }
    }
}

extension LogLevel {
    /// The domain level for a requested minimum level; nil for a value this build does not know.
    /// UNSPECIFIED means every level.
    init?(minimum level: WorkflowV1.LogLevel) {
        switch level {
        case .unspecified, .debug: self = .debug
        case .info: self = .info
        case .warn: self = .warn
        case .error: self = .error
        default: return nil
        }
    }
}

extension WorkflowV1.LogEventKind {
    init(_ kind: LogEventKind) {
        switch kind {
        case .workflowStarted: self = .workflowStarted
        case .workflowCompleted: self = .workflowCompleted
        case .workflowFailed: self = .workflowFailed
        case .workflowCancelled: self = .workflowCancelled
        case .jobStarted: self = .jobStarted
        case .jobCompleted: self = .jobCompleted
        case .jobFailed: self = .jobFailed
        case .jobCancelled: self = .jobCancelled
        case .stepLogged: self = .stepLogged
        case .progressUpdated: self = .progressUpdated
        case .failureNotice: self = .failureNotice
        case .gap: self = .gap
        case .workflowRetried: self = .workflowRetried
        case .jobRetryScheduled: self = .jobRetryScheduled
        case .jobInterrupted: self = .jobInterrupted
        case .workflowCancelRequested: self = .workflowCancelRequested
        case .jobAssigned: self = .jobAssigned
        case .statsUpdated: self = .statsUpdated
        }
    }
}

extension LogEventKind {
    /// The domain kind for a requested kind; nil for UNSPECIFIED or a value this build does
    /// not know.
    init?(_ kind: WorkflowV1.LogEventKind) {
        guard let known = LogEventKind.allCases.first(where: { WorkflowV1.LogEventKind($0) == kind }) else {
            return nil
        }
        self = known
    }
}

extension WorkflowV1.JobAttempt {
    init(_ attempt: borrowing JobAttempt) {
        let outcome: WorkflowV1.JobAttemptOutcome = switch attempt.outcome {
        case .failed: .failed
        case .timedOut: .timedOut
        case .interrupted: .interrupted
        }
        self.init(
            attempt: Int32(clamping: attempt.number),
            outcome: outcome,
            startedAtMs: attempt.startedAtMs,
            finishedAtMs: attempt.finishedAtMs,
            error: attempt.error,
            errorCode: attempt.errorCode,
            stack: attempt.stack,
            worker: attempt.worker.map(WorkflowV1.WorkerRef.init)
        )
    }
}

extension WorkflowV1.WorkerRef {
    init(_ worker: WorkerRef) {
        self.init(name: worker.name, instanceID: worker.instanceID)
    }
}

extension WorkflowV1.Stats {
    init(_ stats: Stats) {
        self.init(durationMs: stats.durationMs, counters: stats.counters)
    }
}

extension WorkflowV1.EntityRef {
    init(_ entity: EntityReference) {
        self.init(tag: entity.tag, route: entity.route, id: entity.id, type: entity.type)
    }
}

extension WorkflowV1.Step {
    init(_ step: borrowing Step) {
        self.init(
            id: step.id,
            message: step.message,
            level: WorkflowV1.LogLevel(step.level),
            entity: step.entity.map(WorkflowV1.EntityRef.init),
            timestampMs: step.timestampMs,
            sequence: step.sequence,
            attempt: Int32(clamping: step.attempt)
        )
    }
}

extension WorkflowV1.Job {
    /// The wire form of `job`; without its steps (but with their count) for summaries.
    init(_ job: borrowing Job, includingSteps: Bool = true) {
        self.init(
            id: job.id,
            name: job.name,
            position: Int32(clamping: job.position),
            status: WorkflowV1.JobStatus(job.status),
            steps: includingSteps ? job.steps.mapBorrowing { WorkflowV1.Step($0) } : [],
            progress: job.progress,
            progressMessage: job.progressMessage,
            stats: WorkflowV1.Stats(job.stats),
            error: job.error ?? "",
            stack: job.stack ?? "",
            startedAtMs: job.startedAtMs ?? 0,
            finishedAtMs: job.finishedAtMs ?? 0,
            stepCount: Int32(clamping: job.stepCount),
            attempt: Int32(clamping: job.attempt),
            failedAttempts: job.failedAttempts.mapBorrowing { WorkflowV1.JobAttempt($0) },
            nextAttemptAtMs: job.nextAttemptAtMs ?? 0,
            worker: job.worker.map(WorkflowV1.WorkerRef.init),
            queue: job.queue ?? "",
            outputs: job.outputs
        )
    }
}

extension WorkflowV1.Workflow {
    /// The wire form of `workflow`; without steps for summaries (ListWorkflows).
    init(_ workflow: Workflow, includingSteps: Bool = true) {
        self.init(
            id: workflow.id,
            type: workflow.type,
            summary: workflow.summary,
            status: WorkflowV1.WorkflowStatus(workflow.status),
            createdAtMs: workflow.createdAtMs,
            startedAtMs: workflow.startedAtMs,
            finishedAtMs: workflow.finishedAtMs ?? 0,
            userID: workflow.userID,
            userName: workflow.userName,
            params: workflow.params,
            jobs: workflow.jobs.mapBorrowing { WorkflowV1.Job($0, includingSteps: includingSteps) },
            stats: WorkflowV1.Stats(workflow.stats),
            error: workflow.error ?? "",
            failedJobID: workflow.failedJobID ?? "",
            failedJobName: workflow.failedJobName ?? "",
            requestID: workflow.requestID,
            attempt: Int32(clamping: workflow.attempt),
            deadlineAtMs: workflow.deadlineAtMs ?? 0,
            result: workflow.result,
            artifacts: workflow.artifacts.map(WorkflowV1.Artifact.init),
            startedBy: workflow.startedBy,
            retriedBy: workflow.retriedBy,
            cancelledBy: workflow.cancelledBy
        )
    }
}

extension WorkflowV1.Artifact {
    init(_ artifact: Artifact) {
        self.init(
            id: artifact.id,
            name: artifact.name,
            contentType: artifact.contentType,
            sizeBytes: artifact.sizeBytes,
            sha256: artifact.sha256,
            workflowID: artifact.workflowID,
            jobID: artifact.jobID,
            createdAtMs: artifact.createdAtMs
        )
    }
}

extension WorkflowV1.LogEvent {
    init(_ event: LogEvent) {
        self.init(
            sequence: event.sequence,
            timestampMs: event.timestampMs,
            kind: WorkflowV1.LogEventKind(event.kind),
            level: WorkflowV1.LogLevel(event.level),
            message: event.message,
            workflowID: event.workflowID,
            workflowType: event.workflowType,
            userID: event.userID,
            jobID: event.job?.id ?? "",
            jobName: event.job?.name ?? "",
            jobPosition: Int32(clamping: event.job?.position ?? 0),
            step: event.step.map(WorkflowV1.Step.init),
            progress: event.progress ?? 0,
            progressMessage: event.progressMessage,
            workflowStatus: event.workflowStatus.map(WorkflowV1.WorkflowStatus.init) ?? .unspecified,
            jobStatus: event.jobStatus.map(WorkflowV1.JobStatus.init) ?? .unspecified,
            stats: event.stats.map(WorkflowV1.Stats.init),
            error: event.error ?? "",
            stack: event.stack ?? "",
            gapFromSequence: event.gap?.lowerBound ?? 0,
            gapToSequence: event.gap?.upperBound ?? 0,
            attempt: Int32(clamping: event.attempt),
            retryAtMs: event.retryAtMs ?? 0,
            worker: event.worker.map(WorkflowV1.WorkerRef.init),
            outputs: event.outputs,
            actor: event.actor
        )
    }
}

extension WorkflowRequest {
    init(_ request: WorkflowV1.StartWorkflowRequest) {
        self.init(
            type: request.type,
            params: request.params,
            userID: request.userID,
            userName: request.userName,
            summary: request.summary,
            requestID: request.requestID
        )
    }
}

extension Array {
    /// `map` whose transform borrows each element where it lies, so the compiler may skip
    /// copying it out: `map` copies every element first, and a copy of a struct retains each
    /// reference it holds (a step holds up to six) only for the conversion to copy them again.
    fileprivate func mapBorrowing<T>(_ transform: (borrowing Element) -> T) -> [T] {
        withUnsafeBufferPointer { elements in
            var result: [T] = []
            result.reserveCapacity(elements.count)
            for index in elements.indices {
                result.append(transform(elements[index]))
            }
            return result
        }
    }
}
