import WorkflowMessages

/// The JSON forms of the API's messages, as `workflowctl` prints them.
///
/// Field names are the proto field names (snake_case) and never change; enum values are their
/// short names (`STEP_LOGGED`, `INFO`, `COMPLETED`); times are Unix epoch milliseconds
/// (`*_ms`), plus an RFC 3339 UTC `time` on events. Fields that only some events carry are
/// left out when unset, as in protobuf's own JSON mapping: a consumer tests for presence.
///
/// Every event has `sequence`, `timestamp_ms`, `time`, `kind`, `level`, `message`,
/// `workflow_id`, `workflow_type` and `user_id`; job events add `job_id`, `job_name` and
/// `job_position`; STEP_LOGGED adds `step`; PROGRESS_UPDATED adds `progress` and
/// `progress_message`; lifecycle events add `workflow_status` or `job_status`; completion and
/// failure events add `stats`; failures add `error` and `stack`; job, step and retry events
/// add `attempt`; JOB_RETRY_SCHEDULED adds `retry_at_ms`; GAP adds `gap_from_sequence` and
/// `gap_to_sequence`; WORKFLOW_STARTED, WORKFLOW_RETRIED and WORKFLOW_CANCEL_REQUESTED add `actor`
/// when the server names who did it.
package enum MessageJSON {
    /// One log event as a single line of JSON.
    ///
    /// - Parameter event: The event.
    /// - Returns: The JSON object, without a line break.
    package static func line(for event: WorkflowV1.LogEvent) -> String {
        object(for: event).text
    }

    /// A workflow tree (jobs, their steps, stats, error) as one JSON object.
    ///
    /// - Parameter workflow: The workflow, as `GetWorkflow` returns it.
    /// - Returns: The JSON object, without a line break.
    package static func line(for workflow: WorkflowV1.Workflow) -> String {
        object(for: workflow).text
    }

    static func object(for event: WorkflowV1.LogEvent) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("sequence", event.sequence)
        object.add("timestamp_ms", event.timestampMs)
        object.add("time", TimeText.rfc3339UTC(epochMs: event.timestampMs))
        object.add("kind", event.kind.shortName)
        object.add("level", event.level.shortName)
        object.add("message", event.message)
        object.add("workflow_id", event.workflowID)
        object.add("workflow_type", event.workflowType)
        object.add("user_id", event.userID)
        if !event.jobID.isEmpty || !event.jobName.isEmpty {
            object.add("job_id", event.jobID)
            object.add("job_name", event.jobName)
            object.add("job_position", event.jobPosition)
        }
        if let step = event.step {
            object.add("step", Self.object(for: step))
        }
        if event.kind == .progressUpdated {
            object.add("progress", event.progress)
            object.add("progress_message", event.progressMessage)
        }
        if event.workflowStatus != .unspecified {
            object.add("workflow_status", event.workflowStatus.shortName)
        }
        if event.jobStatus != .unspecified {
            object.add("job_status", event.jobStatus.shortName)
        }
        if let stats = event.stats {
            object.add("stats", Self.object(for: stats))
        }
        if !event.error.isEmpty { object.add("error", event.error) }
        if !event.stack.isEmpty { object.add("stack", event.stack) }
        if event.attempt != 0 { object.add("attempt", event.attempt) }
        if event.retryAtMs != 0 { object.add("retry_at_ms", event.retryAtMs) }
        if let worker = event.worker { object.add("worker", Self.object(for: worker)) }
        if !event.outputs.isEmpty { object.add("outputs", event.outputs) }
        if !event.actor.isEmpty { object.add("actor", event.actor) }
        if event.kind == .gap {
            object.add("gap_from_sequence", event.gapFromSequence)
            object.add("gap_to_sequence", event.gapToSequence)
        }
        return object
    }

    static func object(for workflow: WorkflowV1.Workflow) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("id", workflow.id)
        object.add("type", workflow.type)
        object.add("summary", workflow.summary)
        object.add("status", workflow.status.shortName)
        object.add("created_at_ms", workflow.createdAtMs)
        object.add("started_at_ms", workflow.startedAtMs)
        object.add("finished_at_ms", workflow.finishedAtMs)
        object.add("user_id", workflow.userID)
        object.add("user_name", workflow.userName)
        if !workflow.startedBy.isEmpty { object.add("started_by", workflow.startedBy) }
        if !workflow.retriedBy.isEmpty { object.add("retried_by", workflow.retriedBy) }
        if !workflow.cancelledBy.isEmpty { object.add("cancelled_by", workflow.cancelledBy) }
        object.add("params", workflow.params)
        object.add("request_id", workflow.requestID)
        object.add("attempt", workflow.attempt)
        if workflow.deadlineAtMs != 0 { object.add("deadline_at_ms", workflow.deadlineAtMs) }
        object.add("stats", Self.object(for: workflow.stats ?? WorkflowV1.Stats()))
        object.add("error", workflow.error)
        object.add("failed_job_id", workflow.failedJobID)
        object.add("failed_job_name", workflow.failedJobName)
        object.add("jobs", workflow.jobs.map(Self.object(for:)))
        object.add("result", workflow.result)
        object.add("artifacts", workflow.artifacts.map { artifact in
            var object = JSONObjectWriter()
            object.add("id", artifact.id)
            object.add("name", artifact.name)
            object.add("content_type", artifact.contentType)
            object.add("size_bytes", artifact.sizeBytes)
            object.add("sha256", artifact.sha256)
            object.add("job_id", artifact.jobID)
            object.add("created_at_ms", artifact.createdAtMs)
            return object
        })
        return object
    }

    static func object(for job: WorkflowV1.Job) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("id", job.id)
        object.add("name", job.name)
        object.add("position", job.position)
        object.add("status", job.status.shortName)
        object.add("progress", job.progress)
        object.add("progress_message", job.progressMessage)
        object.add("step_count", max(job.steps.count, Int(job.stepCount)))
        object.add("attempt", job.attempt)
        object.add("stats", Self.object(for: job.stats ?? WorkflowV1.Stats()))
        object.add("error", job.error)
        object.add("stack", job.stack)
        object.add("started_at_ms", job.startedAtMs)
        object.add("finished_at_ms", job.finishedAtMs)
        object.add("failed_attempts", job.failedAttempts.map(Self.object(for:)))
        if job.nextAttemptAtMs != 0 { object.add("next_attempt_at_ms", job.nextAttemptAtMs) }
        if !job.queue.isEmpty { object.add("queue", job.queue) }
        if let worker = job.worker { object.add("worker", Self.object(for: worker)) }
        object.add("outputs", job.outputs)
        object.add("steps", job.steps.map(Self.object(for:)))
        return object
    }

    static func object(for attempt: WorkflowV1.JobAttempt) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("attempt", attempt.attempt)
        object.add("outcome", attempt.outcome.shortName)
        object.add("started_at_ms", attempt.startedAtMs)
        object.add("finished_at_ms", attempt.finishedAtMs)
        object.add("error", attempt.error)
        object.add("error_code", attempt.errorCode)
        object.add("stack", attempt.stack)
        if let worker = attempt.worker { object.add("worker", Self.object(for: worker)) }
        return object
    }

    static func object(for worker: WorkflowV1.WorkerRef) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("name", worker.name)
        object.add("instance_id", worker.instanceID)
        return object
    }

    /// A connected worker (`workflowctl workers --output json`) as one JSON object.
    ///
    /// - Parameter worker: The worker, as ListWorkers returns it.
    /// - Returns: The JSON object, without a line break.
    package static func line(for worker: WorkflowV1.WorkerInfo) -> String {
        var object = JSONObjectWriter()
        object.add("name", worker.worker?.name ?? "")
        object.add("instance_id", worker.worker?.instanceID ?? "")
        object.add("queues", worker.queues)
        object.add("slots", worker.slots)
        object.add("slots_in_use", worker.slotsInUse)
        object.add("labels", worker.labels)
        object.add("connected_at_ms", worker.connectedAtMs)
        object.add("last_heartbeat_at_ms", worker.lastHeartbeatAtMs)
        object.add("leases", worker.leases.map { lease in
            var object = JSONObjectWriter()
            object.add("workflow_id", lease.workflowID)
            object.add("job_id", lease.jobID)
            object.add("attempt", lease.attempt)
            object.add("epoch", lease.epoch)
            return object
        })
        return object.text
    }

    /// Who the server takes the caller to be (`workflowctl whoami --output json`).
    ///
    /// - Parameter caller: The WhoAmI answer.
    /// - Returns: The JSON object, without a line break.
    package static func line(for caller: WorkflowV1.WhoAmIResponse) -> String {
        var object = JSONObjectWriter()
        object.add("subject", caller.subject)
        object.add("roles", caller.roles)
        object.add("authenticated", caller.authenticated)
        return object.text
    }

    static func object(for step: WorkflowV1.Step) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("id", step.id)
        object.add("sequence", step.sequence)
        object.add("timestamp_ms", step.timestampMs)
        object.add("level", step.level.shortName)
        object.add("message", step.message)
        if step.attempt != 0 { object.add("attempt", step.attempt) }
        if let entity = step.entity {
            var entityObject = JSONObjectWriter()
            entityObject.add("tag", entity.tag)
            entityObject.add("route", entity.route)
            entityObject.add("id", entity.id)
            entityObject.add("type", entity.type)
            object.add("entity", entityObject)
        }
        return object
    }

    static func object(for stats: WorkflowV1.Stats) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("duration_ms", stats.durationMs)
        object.add("counters", stats.counters)
        return object
    }
}
