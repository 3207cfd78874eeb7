import WorkflowModel

extension WorkflowEngine {
    /// Asks a running workflow to stop.
    ///
    /// Appends `workflowCancelRequested` and stores the request with the workflow, so that a
    /// restart before the workflow stopped ends it cancelled. Cooperative: the running job's
    /// ``JobContext/isCancelled`` turns true and its task is cancelled (so `Task.sleep` and
    /// other cancellable waits end); when the job returns, or after its
    /// ``JobDefinition/cancellationGrace`` if it does not, it and every later job become
    /// cancelled and the workflow ends cancelled. A remote job's worker is sent a cancellation
    /// and the engine waits for its end report the same way. A job waiting for its next attempt
    /// (or for a worker) is cancelled at once. Asking again while the workflow is stopping changes nothing.
    ///
    /// - Parameters:
    ///   - id: The workflow's id.
    ///   - reason: Why, recorded in the cancellation events; empty for "cancelled by request".
    ///   - actor: Who asks (the caller's identity), recorded as ``Workflow/cancelledBy`` and
    ///     in the `workflowCancelRequested` event.
    /// - Returns: The workflow as it is now (still running until its job stops), durable once
    ///   the `workflowCancelRequested` event is committed.
    /// - Throws: ``EngineError/Code/workflowNotFound``; ``EngineError/Code/failedPrecondition``
    ///   when the workflow is not running.
    public func cancel(id: String, reason: String = "", by actor: String = "") throws(EngineError) -> DurableResult<Workflow> {
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        guard record.workflow.status == .running else {
            throw .failedPrecondition("workflow \(id) is \(record.workflow.status); only a RUNNING workflow can be cancelled")
        }
        if record.workflow.cancelReason == nil {
            let reason = reason.isEmpty ? "cancelled by request" : reason
            record.workflow.cancelReason = reason
            record.workflow.cancelledBy = actor
            record.persist(in: events)
            record.cancelRequestSequence = events.append(
                event(
                    record, .workflowCancelRequested, level: .warn,
                    message: "Workflow \(record.workflow.type) cancel requested\(Self.byline(actor)): \(reason)",
                    timestampMs: WallClock.nowMs(), error: reason, actor: actor
                )
            )
            if var attempt = record.attempt {
                if attempt.lease?.isAssigned == false {
                    // Still waiting for a worker: nothing runs, nothing to wait for.
                    endAttempt(record, returned: true, reason: reason)
                    cancelWorkflow(record, at: record.position, ranJob: false, stats: Stats(), reason: record.workflow.cancelReason ?? reason)
                } else if !attempt.isStopping {
                    let grace = record.definitions[record.position].cancellationGrace
                    attempt.stop(graceTimer: graceTimer(workflowID: id, epoch: attempt.epoch, grace: grace))
                    record.attempt = attempt
                    askWorkerToStop(attempt, reason: reason)
                }
            } else {
                // Between attempts: nothing to wait for.
                startAttempt(of: record)
            }
        }
        return DurableResult(record.workflow, recordedAt: record.cancelRequestSequence, in: events)
    }

    /// Runs a failed workflow again from the job that failed.
    ///
    /// Completed jobs and their steps stay as they are. The failed job and the jobs after it go
    /// back to pending with their attempt number raised and their retry policy's whole budget
    /// of attempts; their earlier steps and failed attempts are kept, and new steps carry the
    /// new attempt. The workflow's deadline, if its template has one, counts from now. Appends
    /// `workflowRetried`, then the jobs run as usual.
    ///
    /// - Parameters:
    ///   - id: The workflow's id.
    ///   - actor: Who retries it (the caller's identity), recorded as ``Workflow/retriedBy``
    ///     and in the `workflowRetried` event.
    /// - Returns: The workflow, running again, and the job it resumes from; durable once the
    ///   `workflowRetried` event is committed.
    /// - Throws: ``EngineError/Code/workflowNotFound``; ``EngineError/Code/failedPrecondition``
    ///   when the workflow did not fail; ``EngineError/Code/shuttingDown``.
    public func retry(id: String, by actor: String = "") throws(EngineError) -> DurableResult<(workflow: Workflow, resumedJob: JobRef)> {
        if isShuttingDown {
            throw .shuttingDown
        }
        guard let record = records[id] else {
            throw .workflowNotFound(id)
        }
        guard record.workflow.status == .failed,
              let position = record.workflow.jobs.firstIndex(where: { $0.status == .failed })
        else {
            throw .failedPrecondition("workflow \(id) is \(record.workflow.status); only a FAILED workflow can be retried")
        }
        let now = WallClock.nowMs()
        if record.definitions.isEmpty {
            record.definitions = restoredDefinitions(of: record.workflow)
        }
        setStatus(.running, of: record)
        record.workflow.attempt += 1
        record.workflow.finishedAtMs = nil
        record.workflow.error = nil
        record.workflow.failedJobID = nil
        record.workflow.failedJobName = nil
        record.workflow.cancelReason = nil
        record.workflow.cancelledBy = ""
        record.workflow.retriedBy = actor
        record.workflow.result = [:]
        record.workflow.deadlineAtMs = record.deadline.map { WallClock.milliseconds($0.clampedToLongestWait, after: now) }
        for later in position..<record.workflow.jobs.count {
            record.workflow.jobs[later].status = .pending
            record.workflow.jobs[later].attempt += 1
            record.workflow.jobs[later].firstCountedAttempt = record.workflow.jobs[later].attempt
            record.workflow.jobs[later].uncountedAttempts = 0
            record.workflow.jobs[later].nextAttemptAtMs = nil
            record.workflow.jobs[later].attemptStartedAtMs = nil
            record.workflow.jobs[later].error = nil
            record.workflow.jobs[later].stack = nil
            record.workflow.jobs[later].startedAtMs = nil
            record.workflow.jobs[later].finishedAtMs = nil
            record.workflow.jobs[later].progress = 0
            record.workflow.jobs[later].progressMessage = ""
            record.workflow.jobs[later].stats = Stats()
            record.workflow.jobs[later].outputs = [:]
        }
        let jobRef = record.jobRefs[position]
        record.persist(in: events)
        let retried = events.append(
            event(
                record, .workflowRetried, level: .info,
                message: "Workflow \(record.workflow.type) retried from \(jobRef.name) (attempt \(record.workflow.attempt))\(Self.byline(actor))",
                timestampMs: now, job: jobRef, workflowStatus: .running, actor: actor
            )
        )
        logger.debug("engine.workflow_retried", metadata: ["workflow.id": "\(id)", "job.id": "\(jobRef.id)"])
        let workflow = record.workflow
        launch(record, from: position)
        return DurableResult((workflow, jobRef), recordedAt: retried, in: events)
    }

    /// Stops `record` at the job at `position` on a cancel request: that job and every later one
    /// become cancelled, and so does the workflow.
    ///
    /// - Parameters:
    ///   - record: The workflow to stop.
    ///   - position: The job it stops at.
    ///   - ranJob: Whether the job at `position` ran (its stats are then recorded).
    ///   - stats: That job's stats, when it ran.
    ///   - reason: Why, for the cancellation events.
    func cancelWorkflow(_ record: WorkflowRecord, at position: Int, ranJob: Bool, stats: Stats, reason: String) {
        let now = WallClock.nowMs()
        var batch: [LogEvent] = []
        record.workflow.jobs[position].nextAttemptAtMs = nil
        for job in record.jobRefs[position...] {
            let stoppedWhileRunning = ranJob && job.position == position
            record.workflow.jobs[job.position].status = .cancelled
            record.workflow.jobs[job.position].finishedAtMs = now
            if stoppedWhileRunning {
                record.workflow.jobs[job.position].stats = stats
            }
            batch.append(
                event(
                    record, .jobCancelled, level: .warn,
                    message: stoppedWhileRunning
                        ? "Job \(job.name) cancelled while running: \(reason)"
                        : "Job \(job.name) cancelled: \(reason)",
                    timestampMs: now, job: job, jobStatus: .cancelled, stats: stoppedWhileRunning ? stats : nil
                )
            )
        }
        let workflowStats = totalStats(of: record)
        setStatus(.cancelled, of: record)
        record.workflow.finishedAtMs = now
        record.workflow.stats = workflowStats
        batch.append(
            event(
                record, .workflowCancelled, level: .warn,
                message: "Workflow \(record.workflow.type) cancelled: \(reason)",
                timestampMs: now, workflowStatus: .cancelled, stats: workflowStats, error: reason
            )
        )
        record.persist(in: events)
        events.append(contentsOf: batch)
        logger.debug("engine.workflow_cancelled", metadata: ["workflow.id": "\(record.workflow.id)"])
        finish(record)
    }
}
