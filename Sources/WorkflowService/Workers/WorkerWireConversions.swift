import WorkflowEngine
import WorkflowMessages
import WorkflowModel

// Conversions between the engine's worker types and the `workflow.v1` WorkerService messages.

extension WorkflowV1.LeaseToken {
    init(_ token: LeaseToken) {
        self.init(workflowID: token.workflowID, jobID: token.jobID, attempt: Int32(clamping: token.attempt), epoch: token.epoch)
    }
}

extension LeaseToken {
    init(_ token: WorkflowV1.LeaseToken) {
        self.init(workflowID: token.workflowID, jobID: token.jobID, attempt: Int(token.attempt), epoch: token.epoch)
    }
}

extension WorkerRegistration {
    /// The registration a hello asks for (checked by the engine).
    init(_ hello: WorkflowV1.WorkerHello) {
        self.init(
            worker: WorkerRef(name: hello.name, instanceID: hello.instanceID),
            queues: hello.queues,
            slots: Int(hello.slots),
            labels: hello.labels,
            heldLeases: hello.heldLeases.map(LeaseToken.init)
        )
    }
}

extension WorkerReport {
    /// The report a `JobReport` message carries, or why it cannot be read.
    init(_ report: WorkflowV1.JobReport) throws(EngineError) {
        guard let lease = report.lease else {
            throw .invalidArgument(field: "report.lease", reason: "is required")
        }
        var updates: [Update] = []
        updates.reserveCapacity(report.updates.count)
        for (index, update) in report.updates.enumerated() {
            switch update.update {
            case .step(let step):
                guard let level = LogLevel(stepLevel: step.level) else {
                    throw .invalidArgument(field: "updates[\(index)].step.level", reason: "unknown log level \(step.level.rawValue)")
                }
                let entity = step.entity.map { EntityReference(tag: $0.tag, route: $0.route, id: $0.id, type: $0.type) }
                updates.append(.step(message: step.message, level: level, entity: entity, timestampMs: step.timestampMs))
            case .progress(let progress):
                updates.append(.progress(progress.progress, message: progress.message, timestampMs: progress.timestampMs))
            case nil:
                throw .invalidArgument(field: "updates[\(index)]", reason: "sets neither step nor progress")
            }
        }
        let end: End? = switch report.end {
        case nil: nil
        case .completed(let completion): .completed(outputs: completion.outputs)
        case .failed(let failure):
            .failed(
                error: failure.error, stack: failure.stack,
                code: failure.errorCode.isEmpty ? .error : JobErrorCode(failure.errorCode),
                doNotRetry: failure.doNotRetry
            )
        case .released(let release): .released(reason: release.reason)
        }
        self.init(lease: LeaseToken(lease), sequence: report.sequence, updates: updates, counters: report.counters, end: end)
    }
}

extension LogLevel {
    /// The level of a reported step; UNSPECIFIED means INFO, `nil` for a value this build does
    /// not know.
    init?(stepLevel level: WorkflowV1.LogLevel) {
        switch level {
        case .unspecified, .info: self = .info
        case .debug: self = .debug
        case .warn: self = .warn
        case .error: self = .error
        default: return nil
        }
    }
}

extension WorkflowV1.ServerMessage {
    init(_ delivery: WorkerDelivery) {
        switch delivery {
        case .assignment(let assignment):
            self.init(message: .assignment(WorkflowV1.JobAssignment(assignment)))
        case let .cancellation(token, reason, leaseEnded):
            self.init(message: .cancellation(WorkflowV1.JobCancellation(lease: WorkflowV1.LeaseToken(token), reason: reason, leaseEnded: leaseEnded)))
        }
    }
}

extension WorkflowV1.JobAssignment {
    init(_ assignment: JobAssignment) {
        self.init(
            lease: WorkflowV1.LeaseToken(assignment.lease),
            queue: assignment.queue,
            workflowType: assignment.workflowType,
            jobName: assignment.jobName,
            jobPosition: Int32(clamping: assignment.jobPosition),
            params: assignment.params,
            idempotencyKey: assignment.idempotencyKey,
            heartbeatTimeoutMs: assignment.heartbeatTimeout.wholeMilliseconds,
            deadlineAtMs: assignment.deadlineAtMs ?? 0,
            userID: assignment.userID,
            inputs: assignment.inputs.entries.map { entry in
                WorkflowV1.JobOutputs(
                    jobID: entry.jobID, jobName: entry.jobName, jobPosition: Int32(clamping: entry.position), outputs: entry.outputs
                )
            }
        )
    }
}

extension WorkflowV1.WorkerInfo {
    init(_ status: WorkerStatus) {
        self.init(
            worker: WorkflowV1.WorkerRef(status.worker),
            queues: status.queues,
            slots: Int32(clamping: status.slots),
            slotsInUse: Int32(clamping: status.slotsInUse),
            labels: status.labels,
            connectedAtMs: status.connectedAtMs,
            lastHeartbeatAtMs: status.lastHeartbeatAtMs,
            leases: status.leases.map(WorkflowV1.LeaseToken.init)
        )
    }
}
