import Logging
import WorkflowModel

extension WorkflowEngine {
    /// Sets `record`'s deadline timer from its ``Workflow/deadlineAtMs``, if it has one.
    func armDeadline(of record: WorkflowRecord) {
        record.deadlineTimer?.cancel()
        record.deadlineTimer = nil
        guard let deadlineAtMs = record.workflow.deadlineAtMs else { return }
        let id = record.workflow.id
        let workflowAttempt = record.workflow.attempt
        // At most a year at a time; `deadlineReached` sets the timer again if it is early.
        let (remaining, overflow) = deadlineAtMs.subtractingReportingOverflow(WallClock.nowMs())
        let delay = Duration.milliseconds(overflow ? 0 : min(max(0, remaining), 365 * 86_400_000))
        record.deadlineTimer = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            self.deadlineReached(workflowID: id, workflowAttempt: workflowAttempt)
        }
    }

    /// The deadline of a workflow passed: it fails at once at the job it is at, without waiting
    /// for that job's attempt (which is asked to stop and then ignored); an attempt whose
    /// function ended in time ends as it did first (see ``failAtDeadline(_:)``).
    private func deadlineReached(workflowID: String, workflowAttempt: Int) {
        guard let record = records[workflowID], record.workflow.attempt == workflowAttempt,
              record.workflow.status == .running, let deadlineAtMs = record.workflow.deadlineAtMs
        else { return }
        // The timer runs on the monotonic clock, the deadline on the wall clock.
        guard WallClock.nowMs() >= deadlineAtMs else {
            armDeadline(of: record)
            return
        }
        failAtDeadline(record)
    }

    /// Fails `record` at its current job for passing its deadline. A job function that ended
    /// in time, the engine still recording what it logged, ends as it did first; the deadline
    /// fails what follows, if anything does.
    func failAtDeadline(_ record: WorkflowRecord) {
        if endAttemptAsItsFunctionEnded(record), record.workflow.status != .running {
            return
        }
        let position = record.position
        let job = record.workflow.jobs[position]
        let failure = JobFailureDescription(
            message: "the workflow's deadline\(record.deadline.map { " of \(Self.humanReadable($0))" } ?? "") passed at job \(job.name)",
            code: .deadlineExceeded,
            stack: "WorkflowEngine: deadline of workflow \(record.workflow.id)",
            isRetryable: false
        )
        logger.warning("engine.workflow_deadline_exceeded", metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(job.id)"])
        if record.attempt != nil {
            attemptEnded(record, failure: failure, outcome: .failed)
        } else {
            fail(record, at: position, failure: failure, stats: job.stats)
        }
    }
}
