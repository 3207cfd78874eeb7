import Logging
import WorkflowModel

extension WorkflowEngine {
    /// Starts running `record`'s jobs at `position`: the first job's first attempt starts now;
    /// each ending attempt then decides what comes next (see ``attemptEnded(_:failure:outcome:returned:)``).
    ///
    /// Event order for a workflow: `workflowStarted` (appended by `start`), then per job
    /// `jobStarted`, its steps and progress, `jobCompleted`; and finally `workflowCompleted`.
    /// An attempt that fails with attempts left appends `jobRetryScheduled`, then, after the
    /// backoff, `jobStarted` of the next attempt. When the last attempt fails: `jobFailed`,
    /// `jobCancelled` for each later job, `failureNotice`, `workflowFailed`. On a cancel request:
    /// `jobCancelled` for the running job (once it returns) and each later one, then
    /// `workflowCancelled`.
    func launch(_ record: WorkflowRecord, from position: Int) {
        guard position < record.definitions.count else {
            completeWorkflow(record)  // a template with no jobs
            return
        }
        record.position = position
        armDeadline(of: record)
        startAttempt(of: record)
    }

    /// Starts the next attempt of the job `record` is at, unless the workflow stopped running,
    /// was asked to stop, or the engine is shutting down (the job then waits for the next
    /// process, which resumes it).
    func startAttempt(of record: WorkflowRecord) {
        guard record.workflow.status == .running, record.attempt == nil else { return }
        let position = record.position
        record.retryTimer?.cancel()
        record.retryTimer = nil
        if let reason = record.workflow.cancelReason {
            let job = record.workflow.jobs[position]
            cancelWorkflow(record, at: position, ranJob: job.status == .running, stats: job.stats, reason: reason)
            return
        }
        guard !isShuttingDown else { return }
        let now = WallClock.nowMs()
        let jobRef = record.jobRefs[position]
        let definition = record.definitions[position]
        let isFirstAttempt = record.workflow.jobs[position].status == .pending
        record.workflow.jobs[position].status = .running
        if isFirstAttempt {
            record.workflow.jobs[position].startedAtMs = now
        } else {
            record.workflow.jobs[position].attempt += 1
            record.workflow.jobs[position].nextAttemptAtMs = nil
            record.workflow.jobs[position].progress = 0
            record.workflow.jobs[position].progressMessage = ""
        }
        record.workflow.jobs[position].attemptStartedAtMs = now
        let attemptNumber = record.workflow.jobs[position].attempt
        // Only the engine appends, so the next sequence is this attempt's `jobStarted`: its
        // epoch, stored with the job (a lease's epoch) in the same commit as the event, so no
        // epoch is ever given twice, even across a crash.
        let epoch = events.nextSequence
        if definition.queue != nil {
            record.workflow.jobs[position].lease = JobLease(epoch: epoch)
            record.workflow.jobs[position].worker = nil
        }
        events.append(
            contentsOf: [
                event(
                    record, .jobStarted, level: .info,
                    message: attemptNumber == 1
                        ? Text.concatenated("Job ", jobRef.name, " started")
                        : "Job \(jobRef.name) started (attempt \(attemptNumber))",
                    timestampMs: now, job: jobRef, jobStatus: .running
                ),
            ],
            persisting: record.workflow, firstSequence: record.firstSequence
        )
        logger.debug(
            "engine.job_started",
            metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(jobRef.id)", "job.attempt": "\(attemptNumber)"]
        )
        switch definition.work {
        case .function(let work):
            runLocally(record, work: work, execution: definition.execution, epoch: epoch)
        case .remote(let remote):
            queueForWorker(record, remote: remote, epoch: epoch)
        }
    }

    /// Runs the attempt `epoch` of `record`'s current job as a task of this process.
    private func runLocally(
        _ record: WorkflowRecord,
        work: @escaping @Sendable (JobContext) async throws -> Void,
        execution: JobDefinition.Execution,
        epoch: UInt64
    ) {
        let position = record.position
        let jobRef = record.jobRefs[position]
        let context = JobContext(
            engine: self,
            workflowID: record.workflow.id,
            workflowType: record.workflow.type,
            jobID: jobRef.id,
            jobName: jobRef.name,
            jobPosition: position,
            params: record.workflow.params,
            attempt: record.workflow.jobs[position].attempt,
            inputs: record.inputs(before: position)
        )
        let workflowID = record.workflow.id
        let task: Task<Void, Never>
        if execution == .inline, let inline = executor?.inlineJobExecutor {
            // On the task executor of the thread that starts it (taken at that thread's next
            // turn, and back there after every suspension): no other thread woken.
            task = Task(executorPreference: inline) {
                let failure = await Self.failure(of: work, with: context)
                // Checked synchronously: only a long backlog awaits (a nonisolated async call
                // would leave the task's executor).
                if context.finishLogging(endedWith: failure, leavingAtMost: Self.drainBatch) {
                    await context.waitUntilTaken(leavingAtMost: Self.drainBatch)
                }
                await self.attemptReturned(workflowID: workflowID, epoch: epoch, failure: failure)
            }
        } else {
            // Isolated to the engine like the code that creates it: the task starts on the
            // engine's executor without waking a thread, hops off it for the job function, and
            // comes back to report the end. (A task started off the engine woke a pool thread
            // in the middle of each StartWorkflow: 29 % more server CPU per call, measured.)
            task = Task {
                let failure = await Self.failure(of: work, with: context)
                if context.finishLogging(endedWith: failure, leavingAtMost: Self.drainBatch) {
                    await context.waitUntilTaken(leavingAtMost: Self.drainBatch)
                }
                self.attemptReturned(workflowID: workflowID, epoch: epoch, failure: failure)
            }
        }
        var attempt = RunningAttempt(epoch: epoch, runner: .local(context: context, task: task))
        attempt.timer = timeoutTimer(of: record, epoch: epoch)
        record.attempt = attempt
        runningAttempts += 1
    }

    /// Runs a job function; how it failed, or `nil` when it returned.
    private nonisolated static func failure(
        of work: @Sendable (JobContext) async throws -> Void, with context: JobContext
    ) async -> JobFailureDescription? {
        do {
            try await work(context)
            return nil
        } catch {
            return JobFailureDescription(error)
        }
    }

    /// The start-to-close timer of attempt `epoch` of `record`'s current job, if the job has a
    /// timeout.
    func timeoutTimer(of record: WorkflowRecord, epoch: UInt64, after elapsed: Duration = .zero) -> Task<Void, Never>? {
        guard let timeout = record.definitions[record.position].timeout else { return nil }
        let workflowID = record.workflow.id
        return Task {
            try? await Task.sleep(for: (timeout - elapsed).clampedToLongestWait)
            guard !Task.isCancelled else { return }
            self.attemptTimedOut(workflowID: workflowID, epoch: epoch, timeout: timeout)
        }
    }

    /// Whether the engine asked the running attempt of workflow `id` to stop (its timeout, a
    /// cancel request) and waits for it to return within its grace.
    func isStoppingAttempt(ofWorkflow id: String) -> Bool {
        records[id]?.attempt?.isStopping ?? false
    }

    /// Stops waiting on `record`'s attempt: cancels its timer and, unless it `returned` (its
    /// function returned, its worker reported its end), asks it to stop; a worker holding its
    /// lease is told the lease ended, and its slot is free again.
    func endAttempt(_ record: WorkflowRecord, returned: Bool, reason: String) {
        guard let attempt = record.attempt else { return }
        record.attempt = nil
        if returned {
            attempt.timer?.cancel()
        } else {
            attempt.abandon()
        }
        guard let lease = attempt.lease else {
            runningAttempts -= 1
            return
        }
        endLease(lease, workerToldBy: returned ? nil : reason)
    }

    /// Ends `record`'s attempt as its job function ended, if it did and the engine is still
    /// recording what it logged: a deadline, a shutdown or a cancel's grace does not undo a job
    /// that ended in time.
    ///
    /// - Returns: Whether it ended the attempt.
    func endAttemptAsItsFunctionEnded(_ record: WorkflowRecord) -> Bool {
        guard let attempt = record.attempt, let outcome = attempt.functionOutcome else { return false }
        attemptReturned(workflowID: record.workflow.id, epoch: attempt.epoch, failure: outcome.failure)
        return true
    }

    /// The job function of attempt `epoch` of the workflow `workflowID` returned (or threw `failure`).
    private func attemptReturned(workflowID: String, epoch: UInt64, failure: JobFailureDescription?) {
        guard let record = records[workflowID], let attempt = record.attempt, attempt.epoch == epoch else {
            return  // abandoned earlier: the workflow went on without it
        }
        if let stop = attempt.stopFailure {
            attemptEnded(record, failure: stop.failure, outcome: stop.outcome, returned: true)
        } else {
            attemptEnded(record, failure: failure, outcome: .failed, returned: true)
        }
    }

    /// Attempt `epoch` ran longer than its job's timeout: asks it to stop and gives it its
    /// job's cancellation grace to return. One whose function returned in time, the engine
    /// still recording what it logged, is left alone.
    func attemptTimedOut(workflowID: String, epoch: UInt64, timeout: Duration) {
        guard let record = records[workflowID], var attempt = record.attempt, attempt.epoch == epoch, !attempt.isStopping else {
            return
        }
        if attempt.functionOutcome != nil {
            // Returned in time; the engine is still recording what it logged.
            return
        }
        let position = record.position
        let job = record.workflow.jobs[position]
        attempt.stopFailure = (
            JobFailureDescription(
                message: "attempt \(job.attempt) of \(job.name) timed out after \(Self.humanReadable(timeout))",
                code: .timeout,
                stack: "WorkflowEngine: start-to-close timeout of \(Self.humanReadable(timeout)) of job \(job.name)",
                isRetryable: true
            ),
            .timedOut
        )
        attempt.stop(graceTimer: graceTimer(workflowID: workflowID, epoch: epoch, grace: record.definitions[position].cancellationGrace))
        record.attempt = attempt
        askWorkerToStop(attempt, reason: attempt.stopFailure?.failure.message ?? "timed out")
        logger.info(
            "engine.job_timed_out",
            metadata: ["workflow.id": "\(workflowID)", "job.id": "\(job.id)", "job.attempt": "\(job.attempt)"]
        )
    }

    /// A timer that abandons attempt `epoch` if it has not returned after `grace`.
    func graceTimer(workflowID: String, epoch: UInt64, grace: Duration) -> Task<Void, Never> {
        Task {
            try? await Task.sleep(for: grace.clampedToLongestWait)
            guard !Task.isCancelled else { return }
            self.graceExpired(workflowID: workflowID, epoch: epoch, grace: grace)
        }
    }

    /// Attempt `epoch` was asked to stop and did not return within `grace`: the workflow goes on
    /// without it, and what it reports from now on is ignored.
    private func graceExpired(workflowID: String, epoch: UInt64, grace: Duration) {
        guard let record = records[workflowID], let attempt = record.attempt, attempt.epoch == epoch else { return }
        guard !endAttemptAsItsFunctionEnded(record) else { return }
        let job = record.workflow.jobs[record.position]
        logger.warning(
            "engine.job_abandoned",
            metadata: ["workflow.id": "\(workflowID)", "job.id": "\(job.id)", "job.attempt": "\(job.attempt)"]
        )
        let stop = attempt.stopFailure ?? (
            JobFailureDescription(
                message: "attempt \(job.attempt) of \(job.name) did not stop within \(Self.humanReadable(grace)) of being cancelled",
                code: .timeout,
                stack: "WorkflowEngine: cancellation grace of job \(job.name)",
                isRetryable: true
            ),
            .timedOut
        )
        attemptEnded(record, failure: stop.failure, outcome: stop.outcome)
    }

    /// Ends the running attempt of `record`'s current job: records what it logged, then
    /// completes the job, schedules its next attempt, fails the workflow, or cancels it.
    ///
    /// - Parameters:
    ///   - record: The workflow.
    ///   - failure: Why the attempt failed; `nil` when it succeeded.
    ///   - outcome: How a failed attempt is recorded.
    ///   - returned: Whether the job function returned (else the engine abandons the attempt:
    ///     its context reports cancelled and its task is cancelled).
    func attemptEnded(_ record: WorkflowRecord, failure: JobFailureDescription?, outcome: JobAttempt.Outcome, returned: Bool = false) {
        guard let attempt = record.attempt else { return }
        endAttempt(record, returned: returned, reason: failure?.message ?? record.workflow.cancelReason ?? "the attempt ended")
        defer { sendLeaseEndNotices() }
        let position = record.position
        // Record everything the job logged before its end.
        let report = attempt.close()
        apply(report.pending, position: position, of: record)
        let now = WallClock.nowMs()
        let stats = Stats(durationMs: max(0, now - (record.workflow.jobs[position].startedAtMs ?? now)), counters: report.counters)
        guard record.workflow.status == .running else { return }
        if let reason = record.workflow.cancelReason {
            // Asked to stop while this job ran: whatever it returned, its work is partial.
            cancelWorkflow(record, at: position, ranJob: true, stats: stats, reason: reason)
            return
        }
        guard let failure else {
            completeJob(position, of: record, stats: stats, outputs: report.outputs)
            advance(record)
            return
        }
        record.workflow.jobs[position].stats = stats
        record.workflow.jobs[position].failedAttempts.append(
            JobAttempt(
                number: record.workflow.jobs[position].attempt, outcome: outcome,
                startedAtMs: record.workflow.jobs[position].attemptStartedAtMs ?? now, finishedAtMs: now,
                error: failure.message, errorCode: failure.code.rawValue, stack: failure.stack,
                worker: attempt.lease?.worker, lease: record.workflow.jobs[position].lease
            )
        )
        retryOrFail(record, failure: failure, stats: stats)
    }

    /// After a failed attempt of `record`'s current job: schedules the next attempt if the job's
    /// policy allows one before the workflow's deadline, else fails the workflow.
    func retryOrFail(_ record: WorkflowRecord, failure: JobFailureDescription, stats: Stats) {
        let position = record.position
        let job = record.workflow.jobs[position]
        let policy = record.definitions[position].retryPolicy
        guard policy.retries(afterAttempts: job.countedAttempts, failure: failure) else {
            fail(record, at: position, failure: failure, stats: stats)
            return
        }
        let now = WallClock.nowMs()
        let delay = policy.backoff(afterAttempt: job.countedAttempts, random: Double.random(in: 0...1))
        let retryAtMs = WallClock.milliseconds(delay, after: now)
        if let deadline = record.workflow.deadlineAtMs, retryAtMs >= deadline {
            fail(record, at: position, failure: failure, stats: stats)
            return
        }
        let jobRef = record.jobRefs[position]
        record.workflow.jobs[position].nextAttemptAtMs = retryAtMs
        record.persist(in: events)
        var retryEvent = event(
            record, .jobRetryScheduled, level: .warn,
            message: "Job \(jobRef.name) attempt \(job.attempt) failed: \(failure.message); "
                + "attempt \(job.attempt + 1) of \(policy.maxAttempts + job.firstCountedAttempt - 1 + job.uncountedAttempts) starts in \(Self.humanReadable(delay))",
            timestampMs: now, job: jobRef, error: failure.message, stack: failure.stack
        )
        retryEvent.retryAtMs = retryAtMs
        events.append(retryEvent)
        logger.info(
            "engine.job_retry_scheduled",
            metadata: [
                "workflow.id": "\(record.workflow.id)", "job.id": "\(jobRef.id)", "job.attempt": "\(job.attempt)",
                "job.error_code": "\(failure.code)", "job.retry_in_ms": "\(WallClock.milliseconds(delay))",
            ]
        )
        scheduleAttempt(of: record, after: delay)
    }

    /// Starts the next attempt of `record`'s current job after `delay`.
    func scheduleAttempt(of record: WorkflowRecord, after delay: Duration) {
        record.retryTimer?.cancel()
        let id = record.workflow.id
        let workflowAttempt = record.workflow.attempt
        record.retryTimer = Task {
            try? await Task.sleep(for: delay.clampedToLongestWait)
            guard !Task.isCancelled,
                  let current = self.records[id], current === record, current.workflow.attempt == workflowAttempt
            else { return }
            record.retryTimer = nil
            self.startAttempt(of: record)
        }
    }

    /// After a job completed: starts the next one, or completes the workflow after the last.
    private func advance(_ record: WorkflowRecord) {
        guard record.position + 1 < record.definitions.count else {
            completeWorkflow(record)
            return
        }
        record.position += 1
        startAttempt(of: record)
    }

    /// Records the running attempt of `record` as interrupted by a shutdown; the attempt does
    /// not count against the job's retry policy (a deploy never uses up a job's attempts).
    func interruptAttempt(of record: WorkflowRecord) {
        let job = record.workflow.jobs[record.position]
        let failure = JobFailureDescription.interruption(
            "interrupted: the server shut down while attempt \(job.attempt) ran",
            stack: "WorkflowEngine.shutdown(gracePeriod:)"
        )
        interruptAttempt(of: record, failure: failure, then: .startsWhenTheServerRuns, returned: false)
    }

    /// Ends the running attempt of `record` as interrupted, not counted against the job's retry
    /// policy, and appends `jobInterrupted`; the job stays running, to run again.
    ///
    /// - Parameters:
    ///   - record: The workflow.
    ///   - failure: The interruption, as the attempt's error.
    ///   - followUp: What comes next, for the event's message.
    ///   - returned: Whether the attempt's runner ended it (else it is asked to stop).
    func interruptAttempt(of record: WorkflowRecord, failure: JobFailureDescription, then followUp: InterruptionFollowUp, returned: Bool) {
        guard let attempt = record.attempt else { return }
        endAttempt(record, returned: returned, reason: failure.message)
        defer { sendLeaseEndNotices() }
        let position = record.position
        let job = record.workflow.jobs[position]
        let report = attempt.close()
        apply(report.pending, position: position, of: record)
        let now = WallClock.nowMs()
        record.workflow.jobs[position].stats = Stats(durationMs: max(0, now - (job.startedAtMs ?? now)), counters: report.counters)
        record.workflow.jobs[position].uncountedAttempts += 1
        appendInterruption(of: record, failure: failure, then: followUp)
    }

    /// Records that the current attempt of `record`'s job was cut off by a stop of the server,
    /// and appends `jobInterrupted`; the job stays running, to run again as its next attempt.
    ///
    /// - Parameters:
    ///   - record: The workflow.
    ///   - failure: The interruption, as the attempt's error.
    ///   - followUp: What comes next, for the event's message.
    func appendInterruption(
        of record: WorkflowRecord,
        failure: JobFailureDescription,
        then followUp: InterruptionFollowUp
    ) {
        let position = record.position
        let jobRef = record.jobRefs[position]
        let job = record.workflow.jobs[position]
        let now = WallClock.nowMs()
        record.workflow.jobs[position].failedAttempts.append(
            JobAttempt(
                number: job.attempt, outcome: .interrupted, startedAtMs: job.attemptStartedAtMs ?? job.startedAtMs ?? now, finishedAtMs: now,
                error: failure.message, errorCode: failure.code.rawValue, stack: failure.stack,
                worker: job.worker, lease: job.lease
            )
        )
        record.persist(in: events)
        let hasAttemptLeft = record.definitions[position].retryPolicy.retries(afterAttempts: job.countedAttempts, failure: failure)
        let next = switch followUp {
        case .deadlinePassed: "the workflow's deadline has passed"
        case _ where !hasAttemptLeft: "no attempt is left"
        case .startsNow: "attempt \(job.attempt + 1) starts now"
        case .startsWhenTheServerRuns: "attempt \(job.attempt + 1) starts when the server runs again"
        }
        events.append(
            event(
                record, .jobInterrupted, level: .warn,
                message: "Job \(jobRef.name) attempt \(job.attempt) was interrupted: \(failure.message); \(next)",
                timestampMs: now, job: jobRef, error: failure.message, stack: failure.stack
            )
        )
        logger.warning(
            "engine.job_interrupted",
            metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(jobRef.id)", "job.attempt": "\(job.attempt)"]
        )
    }
}
