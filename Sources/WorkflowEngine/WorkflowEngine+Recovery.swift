import WorkflowModel

extension WorkflowEngine {
    /// The error of a job that was running when the process stopped without a shutdown.
    static let restartInterruption = JobError(
        message: "interrupted by restart",
        stack: "WorkflowEngine.restore(): the process stopped while this job ran"
    )

    /// Loads what the store retained and resolves what a crash left open; call before anything
    /// else when the engine has a store (later calls do nothing).
    ///
    /// Every retained workflow becomes readable again (with its jobs, steps, progress and
    /// stats), request ids are recognised again, and sequence numbers continue after the newest
    /// stored event. A workflow that was RUNNING is resolved deterministically: it fails at the
    /// job that was running (or the first that had not run) with "interrupted by restart", its
    /// later jobs are cancelled and a failure notice is logged, exactly as if that job had
    /// thrown; ``retry(id:)`` resumes it from there.
    ///
    /// - Returns: How many workflows were loaded and how many of them were interrupted.
    /// - Throws: What the store threw when it could not read its data; the engine must not
    ///   serve then (an empty engine would silently lose what the store holds).
    @discardableResult
    public func restore() throws -> (workflows: Int, interrupted: Int) {
        guard let store, !isRestored else { return (0, 0) }
        precondition(records.isEmpty, "restore() must run before any workflow starts")
        let recovered = try store.recover()
        isRestored = true
        events.resume(after: recovered.lastSequence)
        let nowMs = WallClock.nowMs()
        var interrupted: [WorkflowRecord] = []
        for stored in recovered.workflows {
            let workflow = stored.workflow
            let request = WorkflowRequest(
                type: workflow.type, params: workflow.params, userID: workflow.userID,
                userName: workflow.userName, summary: workflow.summary, requestID: workflow.requestID
            )
            let age = Duration.milliseconds(max(0, nowMs - workflow.startedAtMs))
            let record = WorkflowRecord(
                workflow: workflow,
                request: request,
                definitions: restoredDefinitions(of: workflow),
                startInstant: ContinuousClock.now - age
            )
            record.firstSequence = stored.firstSequence
            records[workflow.id] = record
            creationOrder.append(workflow.id)
            if !workflow.requestID.isEmpty {
                workflowIDsByRequestID[workflow.requestID] = workflow.id
            }
            if workflow.status == .running {
                interrupted.append(record)
            } else {
                finishedWorkflowIDs.push((workflow.id, workflow.attempt))
            }
        }
        creationOrder.sort()
        for record in interrupted {
            let jobs = record.workflow.jobs
            let position = jobs.firstIndex { $0.status == .running }
                ?? jobs.firstIndex { $0.status == .pending }
                ?? max(0, jobs.count - 1)
            guard !jobs.isEmpty else { continue }
            logger.warning(
                "engine.workflow_interrupted",
                metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(record.jobRefs[position].id)"]
            )
            fail(record, at: position, error: Self.restartInterruption, stats: jobs[position].stats)
        }
        forgetFinishedWorkflowsBeyondRetention()
        logger.info(
            "engine.restored",
            metadata: [
                "engine.workflows": "\(records.count)", "engine.interrupted": "\(interrupted.count)",
                "engine.last_sequence": "\(recovered.lastSequence)",
            ]
        )
        return (records.count, interrupted.count)
    }

    /// The jobs a restored workflow runs on a retry: its template's, or, when the type is no
    /// longer registered (or now makes other jobs), jobs that fail saying so.
    private func restoredDefinitions(of workflow: Workflow) -> [JobDefinition] {
        if let template = templates.template(for: workflow.type) {
            let definitions = template.makeJobs(workflow.params)
            if definitions.map(\.name) == workflow.jobs.map(\.name) {
                return definitions
            }
        }
        let type = workflow.type
        return workflow.jobs.map { job in
            JobDefinition(name: job.name) { _ in
                throw JobError(message: "workflow type \(type) no longer defines this job", stack: "WorkflowEngine.restore()")
            }
        }
    }
}
