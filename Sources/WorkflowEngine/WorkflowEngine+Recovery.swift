import WorkflowModel

extension WorkflowEngine {
    /// Loads what the store retained and resumes what a stop of the server left running; call
    /// before anything else when the engine has a store (later calls do nothing).
    ///
    /// Every retained workflow becomes readable again (with its jobs, steps, progress, stats
    /// and failed attempts; an ended workflow's steps are read from the store when asked for), request ids are recognised again, and sequence numbers continue after
    /// the newest stored event. A workflow that was RUNNING runs on from where it was: its
    /// completed jobs stay completed; a job whose attempt was running when the process died
    /// (a crash, a kill, a power loss) gets that attempt recorded as interrupted with a
    /// `jobInterrupted` event and runs again as its next attempt, if its retry policy has
    /// attempts left (else the workflow fails at it as if the attempt had thrown); a job
    /// whose attempt a shutdown interrupted runs again the same way (that attempt did not count);
    /// a job waiting for its next attempt keeps waiting until its time; a job that had not
    /// started starts. A remote job's attempt is not interrupted: its lease lives on, and its
    /// worker reconnects and goes on reporting (or the lease expires after its heartbeat
    /// timeout); one that waited for a worker waits again. A workflow a caller asked to cancel ends cancelled; one whose deadline
    /// passed meanwhile fails at the job it was at.
    ///
    /// - Returns: How many workflows were loaded and how many of them resumed running.
    /// - Throws: What the store threw when it could not read its data; the engine must not
    ///   serve then (an empty engine would silently lose what the store holds).
    @discardableResult
    public func restore() throws -> (workflows: Int, resumed: Int) {
        guard let store, !isRestored else { return (0, 0) }
        precondition(records.isEmpty, "restore() must run before any workflow starts")
        let recovered = try store.recover()
        isRestored = true
        events.resume(after: recovered.lastSequence)
        restoredThroughSequence = recovered.lastSequence
        var running: [WorkflowRecord] = []
        for stored in recovered.workflows {
            let workflow = stored.workflow
            let request = WorkflowRequest(
                type: workflow.type, params: workflow.params, userID: workflow.userID,
                userName: workflow.userName, summary: workflow.summary, requestID: workflow.requestID
            )
            let template = templates.template(for: workflow.type)
            let record = WorkflowRecord(
                workflow: workflow,
                request: request,
                // An ended workflow needs them only for a retry, which makes them again.
                definitions: workflow.status == .running ? restoredDefinitions(of: workflow) : [],
                deadline: template?.deadline(workflow.params),
                resultOutputs: template?.resultOutputs
            )
            record.firstSequence = stored.firstSequence
            if workflow.jobs.contains(where: { $0.storedStepCount > 0 }) {
                record.stepsInStoreThrough = recovered.lastSequence
            }
            retain(record)
            creationOrder.append(record)
            if !workflow.requestID.isEmpty {
                workflowIDsByRequestID[RequestKey(userID: workflow.userID, requestID: workflow.requestID)] = workflow.id
            }
            if workflow.status == .running {
                running.append(record)
            } else {
                finishedWorkflowIDs.push((workflow.id, workflow.attempt))
                finishedWithSteps.push((workflow.id, workflow.attempt))
            }
        }
        creationOrder.sort()
        for record in running {
            resume(record)
        }
        forgetFinishedWorkflowsBeyondRetention()
        leaveStepsOfOlderFinishedWorkflowsToStore()
        logger.info(
            "engine.restored",
            metadata: [
                "engine.workflows": "\(records.count)", "engine.resumed": "\(running.count)",
                "engine.last_sequence": "\(recovered.lastSequence)",
            ]
        )
        return (records.count, running.count)
    }

    /// Runs a restored RUNNING workflow on from the job it was at.
    private func resume(_ record: WorkflowRecord) {
        let jobs = record.workflow.jobs
        guard let position = jobs.firstIndex(where: { $0.status == .running })
            ?? jobs.firstIndex(where: { $0.status == .pending })
        else {
            // Every job ended but the workflow's own end was not stored: end it now.
            record.position = max(0, jobs.count - 1)
            resolveEndedJobs(of: record)
            return
        }
        record.position = position
        let job = jobs[position]
        logger.info(
            "engine.workflow_resumed",
            metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(job.id)", "job.attempt": "\(job.attempt)"]
        )
        let wasMidAttempt = job.status == .running && job.nextAttemptAtMs == nil && job.failedAttempts.last?.number != job.attempt
        if let reason = record.workflow.cancelReason {
            // Asked to stop before the process stopped: it ends cancelled, not run on.
            cancelWorkflow(record, at: position, ranJob: job.status == .running, stats: job.stats, reason: reason)
            return
        }
        if let deadline = record.workflow.deadlineAtMs, deadline <= WallClock.nowMs() {
            if wasMidAttempt {
                recordCrashedAttempt(of: record, then: .deadlinePassed)
            }
            failAtDeadline(record)
            return
        }
        armDeadline(of: record)
        guard job.status == .running else {
            startAttempt(of: record)
            return
        }
        if let nextAttemptAtMs = job.nextAttemptAtMs {
            let now = WallClock.nowMs()
            scheduleAttempt(of: record, after: .milliseconds(nextAttemptAtMs > now ? nextAttemptAtMs - now : 0))
            return
        }
        if wasMidAttempt, resumeRemoteAttempt(of: record) {
            return  // a worker runs it (or it waits for one): its lease lives on
        }
        let failure: JobFailureDescription
        if wasMidAttempt {
            failure = recordCrashedAttempt(of: record, then: .startsNow)
        } else {
            // A shutdown recorded the interruption already (and did not count it).
            let last = job.failedAttempts[job.failedAttempts.count - 1]
            failure = JobFailureDescription(message: last.error, code: JobErrorCode(last.errorCode), stack: last.stack, isRetryable: true)
        }
        let countedAttempts = record.workflow.jobs[position].countedAttempts
        if record.definitions[position].retryPolicy.retries(afterAttempts: countedAttempts, failure: failure) {
            startAttempt(of: record)
        } else {
            fail(record, at: position, failure: failure, stats: job.stats)
        }
    }

    /// Records the attempt that was running when the process died as interrupted; it counts
    /// against the job's retry policy, so a job that brings the server down cannot loop.
    @discardableResult
    private func recordCrashedAttempt(of record: WorkflowRecord, then followUp: InterruptionFollowUp) -> JobFailureDescription {
        let job = record.workflow.jobs[record.position]
        let failure = JobFailureDescription.interruption(
            "interrupted: the server stopped while attempt \(job.attempt) ran (a crash, a kill or a power loss)",
            stack: "WorkflowEngine.restore(): the process stopped while this attempt ran"
        )
        appendInterruption(of: record, failure: failure, then: followUp)
        return failure
    }

    /// Ends a restored RUNNING workflow none of whose jobs is pending or running: completed if
    /// every job completed, else failed at its first job that did not.
    private func resolveEndedJobs(of record: WorkflowRecord) {
        let jobs = record.workflow.jobs
        guard let position = jobs.firstIndex(where: { $0.status != .completed }) else {
            completeWorkflow(record)
            return
        }
        record.position = position
        let failure = JobFailureDescription(
            message: jobs[position].error ?? "interrupted by restart",
            code: .interrupted,
            stack: jobs[position].stack ?? "WorkflowEngine.restore()",
            isRetryable: false
        )
        fail(record, at: position, failure: failure, stats: jobs[position].stats)
    }

    /// The jobs of a workflow made again from its type (after a restart, or for a retry of one
    /// that let go of them): its template's, or, when the type is no longer registered (or now
    /// makes other jobs, or refuses the parameters), jobs that fail saying so.
    func restoredDefinitions(of workflow: Workflow) -> [JobDefinition] {
        if let template = templates.template(for: workflow.type) {
            let definitions = template.makeJobs(workflow.params)
            if definitions.map(\.name) == workflow.jobs.map(\.name) {
                return definitions
            }
        }
        let type = workflow.type
        return workflow.jobs.map { job in
            JobDefinition(name: job.name) { _ in
                throw JobError(message: "workflow type \(type) no longer defines this job", stack: "WorkflowEngine.restore()", isRetryable: false)
            }
        }
    }
}
