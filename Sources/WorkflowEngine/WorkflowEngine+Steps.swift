import WorkflowModel

extension WorkflowEngine {
    /// One window of a workflow's steps in log order, read from its tree: a console's log of a
    /// workflow with 100,000 steps loads a page at a time and never the whole tree.
    ///
    /// Each job's steps are ordered by sequence, so a window costs a binary search per job plus
    /// the steps the filters skip.
    ///
    /// - Parameter query: The workflow, the filters, the range and which end of it.
    /// - Returns: The page, oldest first, and whether more lie beyond it.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained;
    ///   ``EngineError/Code/invalidArgument`` for a page size out of range, an empty sequence
    ///   range or a job the workflow does not have.
    public func steps(_ query: StepQuery) throws(EngineError) -> StepPage {
        guard (1...StepQuery.maxPageSize).contains(query.pageSize) else {
            throw .invalidArgument(field: "page_size", reason: "must be from 1 to \(StepQuery.maxPageSize), got \(query.pageSize)")
        }
        let lower = query.afterSequence ?? 0
        let upper = query.beforeSequence ?? .max
        guard lower < upper else {
            throw .invalidArgument(field: "before_sequence", reason: "must be greater than after_sequence")
        }
        guard let record = records[query.workflowID] else {
            throw .workflowNotFound(query.workflowID)
        }
        var jobs = record.workflow.jobs
        if let jobID = query.jobID {
            jobs.removeAll { $0.id != jobID }
            guard !jobs.isEmpty else {
                throw .invalidArgument(field: "job_id", reason: "workflow \(query.workflowID) has no job \(jobID)")
            }
        }
        // The page's steps are among each job's first (or last) `pageSize + 1` matches; one
        // more than the page tells whether more lie beyond it.
        let wanted = query.pageSize + 1
        var candidates: [(step: Step, position: Int)] = []
        for job in jobs {
            let window = Self.indices(of: job.steps, after: lower, before: upper)
            var found = 0
            let order = query.oldestFirst
                ? stride(from: window.lowerBound, to: window.upperBound, by: 1)
                : stride(from: window.upperBound - 1, to: window.lowerBound - 1, by: -1)
            for index in order where query.matches(job.steps[index]) {
                candidates.append((job.steps[index], job.position))
                found += 1
                if found == wanted { break }
            }
        }
        candidates.sort { $0.step.sequence < $1.step.sequence }
        let hasMore = candidates.count > query.pageSize
        let page = query.oldestFirst ? candidates.prefix(query.pageSize) : candidates.suffix(query.pageSize)
        return StepPage(
            steps: page.map { stepEvent(record, step: $0.step, job: record.jobRefs[$0.position]) },
            hasMore: hasMore
        )
    }

    /// The `stepLogged` event that recorded `step`, as watchers received it.
    private func stepEvent(_ record: WorkflowRecord, step: Step, job: JobRef) -> WorkflowModel.LogEvent {
        var event = event(
            record, .stepLogged, level: step.level, message: step.message, timestampMs: step.timestampMs, job: job, step: step
        )
        event.sequence = step.sequence
        event.attempt = step.attempt
        return event
    }

    /// The indices of the steps with a sequence in `after + 1 ..< before`.
    private static func indices(of steps: [Step], after: UInt64, before: UInt64) -> Range<Int> {
        let start = steps.partitioningIndex { $0.sequence > after }
        let end = steps.partitioningIndex { $0.sequence >= before }
        return start ..< max(start, end)
    }
}
