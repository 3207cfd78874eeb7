import Dispatch
import Logging
import WorkflowModel

extension WorkflowEngine {
    /// A duration for people: "250 ms", "1.5 s", "2 min".
    static func humanReadable(_ duration: Duration) -> String {
        let milliseconds = WallClock.milliseconds(duration)
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 120_000 {
            let tenths = (milliseconds + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
        }
        return "\((milliseconds + 30_000) / 60_000) min"
    }

    /// Schedules one drain of `context`'s buffered updates onto the engine.
    ///
    /// With an ``EngineExecutor`` the drain goes straight onto it, one hop and no task; a
    /// `Task` started here would run on the global executor first and then hop to the engine.
    nonisolated func scheduleDrain(of context: JobContext) {
        guard let executor else {
            Task {
                await self.drainPending(of: context)
            }
            return
        }
        executor.execute {
            self.assumeIsolated { engine in
                engine.drainPending(of: context)
            }
        }
    }

    /// The most updates one drain records. A job that logs faster than the engine records
    /// is recorded a batch per turn of the engine's executor, with other work in between.
    static let drainBatch = 2_048

    /// How many appended events may wait for the store's commit before drains wait too:
    /// 8,192, or half the events memory holds if fewer, but at least a batch. A job that logs
    /// faster than the store commits then buffers its updates (a fraction of an event's size)
    /// instead of the store's queue holding ever more events, and watchers that keep up read
    /// them from memory, not from the store after memory let them go.
    var drainBacklogLimit: Int {
        max(Self.drainBatch, min(4 * Self.drainBatch, events.retention / 2))
    }

    /// Records the oldest updates `context` buffered, a batch at most, and schedules the next
    /// drain while more are left; waits for the store's commits first when it lags behind.
    func drainPending(of context: JobContext) {
        // Defensive: a context is closed (and emptied) before its workflow ends, let alone
        // before the workflow keeps only its summary.
        guard let record = records[context.workflowID], !record.treeInStore else { return }
        if let sequence = events.commitToAwait(whenMoreUncommittedThan: drainBacklogLimit) {
            events.whenCommitted(through: sequence) {
                self.scheduleDrain(of: context)
            }
            return
        }
        let (pending, more) = context.takePending(upTo: Self.drainBatch)
        if more {
            scheduleDrain(of: context)
        }
        guard !pending.isEmpty else { return }
        apply(pending, position: context.jobPosition, of: record)
    }

    /// Turns buffered updates of the job at `position` into events, in order, and records them
    /// in the job.
    ///
    /// - Parameter persisting: Whether to store the workflow's state in the same commit as the
    ///   events (a worker's report: the job's lease records the report as applied, so the two
    ///   must survive a crash together); with no updates, the state alone is queued.
    func apply(_ pending: [PendingJobUpdate], position: Int, of record: WorkflowRecord, persisting: Bool = false) {
        guard !pending.isEmpty else {
            if persisting {
                record.persist(in: events)
            }
            return
        }
        let jobRef = record.jobRefs[position]
        var stepNumber = record.workflow.jobs[position].stepCount
        var batch: [WorkflowModel.LogEvent] = []
        batch.reserveCapacity(pending.count)
        var kept: [StoredRecord] = []
        var artifactsChanged = false
        var replaced: [(old: Artifact, new: Artifact)] = []
        for update in pending {
            switch update {
            case .records(let records):
                kept += records
            case .artifact(let artifact):
                if let index = record.workflow.artifacts.firstIndex(where: { $0.id == artifact.id }) {
                    replaced.append((record.workflow.artifacts[index], artifact))
                    record.workflow.artifacts[index] = artifact
                } else {
                    record.workflow.artifacts.append(artifact)
                }
                artifactsChanged = true
            case let .step(message, level, entity, timestampMs):
                stepNumber += 1
                let step = Step(
                    id: StepID(number: stepNumber, ofJob: jobRef.id),
                    message: message,
                    level: level,
                    entity: entity,
                    timestampMs: timestampMs,
                    attempt: record.workflow.jobs[position].attempt
                )
                batch.append(
                    event(record, .stepLogged, level: level, message: message, timestampMs: timestampMs, job: jobRef, step: step)
                )
            case let .progress(progress, message, timestampMs):
                let text = message.isEmpty
                    ? "Job \(jobRef.name) at \(Int((progress * 100).rounded()))%"
                    : message
                var progressEvent = event(
                    record, .progressUpdated, level: .info, message: text, timestampMs: timestampMs, job: jobRef
                )
                progressEvent.progress = progress
                progressEvent.progressMessage = message
                batch.append(progressEvent)
            }
        }
        let first = events.append(
            contentsOf: batch,
            keeping: kept,
            persisting: persisting || artifactsChanged ? record.workflow : nil,
            firstSequence: record.firstSequence
        )
        for (old, new) in replaced {
            releaseArtifacts([old], replacedBy: [new])
        }
        for (offset, event) in batch.enumerated() {
            if var step = event.step {
                step.sequence = first + UInt64(offset)
                record.workflow.jobs[position].steps.append(step)
            } else if let progress = event.progress {
                record.workflow.jobs[position].progress = progress
                record.workflow.jobs[position].progressMessage = event.progressMessage
            }
        }
    }

    /// Marks the job at `position` completed with `outputs` and appends `jobCompleted`.
    func completeJob(_ position: Int, of record: WorkflowRecord, stats: Stats, outputs: [String: String]) {
        let now = WallClock.nowMs()
        let jobRef = record.jobRefs[position]
        record.workflow.jobs[position].status = .completed
        record.workflow.jobs[position].finishedAtMs = now
        record.workflow.jobs[position].stats = stats
        record.workflow.jobs[position].progress = 1
        record.workflow.jobs[position].outputs = outputs
        var completed = event(
            record, .jobCompleted, level: .info,
            message: Text.concatenated("Job ", jobRef.name, " completed in ", String(stats.durationMs), " ms"),
            timestampMs: now, job: jobRef, jobStatus: .completed, stats: stats
        )
        completed.outputs = outputs
        events.append(contentsOf: [completed], persisting: record.workflow, firstSequence: record.firstSequence)
        logger.debug(
            "engine.job_completed",
            metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(jobRef.id)", "job.duration_ms": "\(stats.durationMs)"]
        )
    }

    /// Fails the job at `position` with `failure`, cancels the later jobs, and fails the workflow.
    func fail(_ record: WorkflowRecord, at position: Int, failure: JobFailureDescription, stats: Stats) {
        let now = WallClock.nowMs()
        let jobRef = record.jobRefs[position]
        let errorText = failure.message
        let stack = failure.stack
        record.workflow.jobs[position].nextAttemptAtMs = nil

        record.workflow.jobs[position].status = .failed
        record.workflow.jobs[position].finishedAtMs = now
        record.workflow.jobs[position].stats = stats
        record.workflow.jobs[position].error = errorText
        record.workflow.jobs[position].stack = stack
        var batch = [
            event(
                record, .jobFailed, level: .error,
                message: "Job \(jobRef.name) failed: \(errorText)",
                timestampMs: now, job: jobRef, jobStatus: .failed, stats: stats, error: errorText, stack: stack
            ),
        ]
        for later in record.jobRefs[(position + 1)...] {
            record.workflow.jobs[later.position].status = .cancelled
            record.workflow.jobs[later.position].finishedAtMs = now
            batch.append(
                event(
                    record, .jobCancelled, level: .warn,
                    message: "Job \(later.name) cancelled because \(jobRef.name) failed",
                    timestampMs: now, job: later, jobStatus: .cancelled
                )
            )
        }
        let workflowStats = totalStats(of: record)
        setStatus(.failed, of: record)
        record.workflow.finishedAtMs = now
        record.workflow.stats = workflowStats
        record.workflow.error = errorText
        record.workflow.failedJobID = jobRef.id
        record.workflow.failedJobName = jobRef.name
        let type = record.workflow.type
        batch.append(
            event(
                record, .failureNotice, level: .error,
                message: "\(type) failed at \(jobRef.name): \(errorText)",
                timestampMs: now, job: jobRef, error: errorText
            )
        )
        batch.append(
            event(
                record, .workflowFailed, level: .error,
                message: "Workflow \(type) failed at \(jobRef.name): \(errorText)",
                timestampMs: now, workflowStatus: .failed, stats: workflowStats, error: errorText
            )
        )
        record.persist(in: events)
        events.append(contentsOf: batch)
        logger.warning(
            "engine.workflow_failed",
            metadata: [
                "workflow.id": "\(record.workflow.id)", "workflow.type": "\(type)",
                "job.id": "\(jobRef.id)", "workflow.error": "\(errorText)",
            ]
        )
        finish(record)
    }

    /// Marks the workflow completed and appends `workflowCompleted`.
    func completeWorkflow(_ record: WorkflowRecord) {
        let now = WallClock.nowMs()
        let stats = totalStats(of: record)
        setStatus(.completed, of: record)
        record.workflow.finishedAtMs = now
        record.workflow.stats = stats
        record.workflow.result = record.result()
        var completed = event(
            record, .workflowCompleted, level: .info,
            message: Text.concatenated("Workflow ", record.workflow.type, " completed in ", String(stats.durationMs), " ms"),
            timestampMs: now, workflowStatus: .completed, stats: stats
        )
        completed.outputs = record.workflow.result
        events.append(contentsOf: [completed], persisting: record.workflow, firstSequence: record.firstSequence)
        logger.debug(
            "engine.workflow_completed",
            metadata: ["workflow.id": "\(record.workflow.id)", "workflow.duration_ms": "\(stats.durationMs)"]
        )
        finish(record)
    }

    /// The workflow's duration so far and the sum of its jobs' counters.
    func totalStats(of record: WorkflowRecord) -> Stats {
        var stats = Stats(durationMs: max(0, WallClock.nowMs() - record.workflow.startedAtMs))
        for job in record.workflow.jobs {
            stats.addCounters(of: job.stats)
        }
        return stats
    }

    /// Lets go of a finished workflow's job definitions, queues it for forgetting and forgets
    /// the oldest beyond the retention. An entry of an earlier attempt (the workflow was retried
    /// since) is stale and skipped: the workflow was queued anew when its latest attempt ended.
    func finish(_ record: WorkflowRecord) {
        // Called right after the terminal event was appended.
        record.terminalSequence = events.nextSequence - 1
        record.cancelTimers()
        // Nothing runs again without making them anew (a retry does): let go of them now,
        // while they are warm.
        record.definitions = []
        finishedWorkflowIDs.push((record.workflow.id, record.workflow.attempt))
        forgetFinishedWorkflowsBeyondRetention()
        if store != nil {
            finishedWithSteps.push((record.workflow.id, record.workflow.attempt))
            leaveStepsOfOlderFinishedWorkflowsToStore()
        }
    }

    /// Forgets the oldest finished workflows while more than ``workflowRetention`` are kept or
    /// the oldest finished longer than ``workflowMaxAge`` ago; never a running one.
    func forgetFinishedWorkflowsBeyondRetention() {
        let cutoffMs = workflowMaxAge.map { WallClock.nowMs() - WallClock.milliseconds($0) }
        while let front = finishedWorkflowIDs.first {
            let isExpired = cutoffMs.map { cutoff in (records[front.id]?.workflow.finishedAtMs ?? .min) < cutoff } ?? false
            guard finishedWorkflowIDs.count > workflowRetention || isExpired, let oldest = finishedWorkflowIDs.pop() else { break }
            guard let candidate = records[oldest.id],
                  candidate.workflow.attempt == oldest.attempt,
                  candidate.workflow.status != .running
            else { continue }
            let artifacts = candidate.workflow.artifacts
            guard let forgotten = forget(oldest.id) else { continue }
            events.forget(workflowID: oldest.id)
            releaseArtifacts(artifacts)
            let key = RequestKey(userID: forgotten.workflow.userID, requestID: forgotten.workflow.requestID)
            if !key.requestID.isEmpty, workflowIDsByRequestID[key] == oldest.id {
                workflowIDsByRequestID[key] = nil
            }
        }
        compactCreationOrderIfSparse()
    }

    /// Deletes the files of `artifacts` (nothing when `replacements` keep the same content)
    /// once what stops referring to them is committed: call it after the change (a
    /// replacement's snapshot, a forget) is queued; the store is flushed off the engine, then
    /// the files go. A crash before that leaves them for the next start's sweep.
    func releaseArtifacts(_ artifacts: [Artifact], replacedBy replacements: [Artifact] = []) {
        guard let artifactStorage else { return }
        let kept = Set(replacements.map(\.sha256))
        let released = artifacts.filter { !kept.contains($0.sha256) }
        guard !released.isEmpty else { return }
        guard let store else {
            artifactStorage.remove(released)
            return
        }
        DispatchQueue.global().async {
            store.flush()
            artifactStorage.remove(released)
        }
    }

    /// An event about `record`, not yet sequenced.
    func event(
        _ record: WorkflowRecord,
        _ kind: LogEventKind,
        level: LogLevel,
        message: String,
        timestampMs: Int64,
        job: JobRef? = nil,
        step: Step? = nil,
        workflowStatus: WorkflowStatus? = nil,
        jobStatus: JobStatus? = nil,
        stats: Stats? = nil,
        error: String? = nil,
        stack: String? = nil,
        actor: String = ""
    ) -> WorkflowModel.LogEvent {
        WorkflowModel.LogEvent(
            timestampMs: timestampMs,
            kind: kind,
            level: level,
            message: message,
            workflowID: record.workflow.id,
            workflowType: record.workflow.type,
            userID: record.workflow.userID,
            job: job,
            step: step,
            workflowStatus: workflowStatus,
            jobStatus: jobStatus,
            stats: stats,
            error: error,
            stack: stack,
            attempt: job.map { record.workflow.jobs[$0.position].attempt } ?? record.workflow.attempt,
            actor: actor
        )
    }

    /// " by <actor>" for an event's message, or nothing when nobody is named.
    static func byline(_ actor: String) -> String {
        actor.isEmpty ? "" : " by \(actor)"
    }
}
