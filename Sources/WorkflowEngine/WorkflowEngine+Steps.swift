import WorkflowModel

extension WorkflowEngine {
    /// One window of a workflow's steps in log order, read from its tree: a console's log of a
    /// workflow with 100,000 steps loads a page at a time and never the whole tree.
    ///
    /// Each job's steps are ordered by sequence, so a window costs a binary search per job plus
    /// the steps the filters skip. When some of the workflow's steps (or its tree) are only in
    /// the store (see ``HistoryInMemory``), the answer is the snapshot to read them into
    /// instead: pass it through ``withStoredHistory(_:includingSteps:)`` off the event loop,
    /// then to ``steps(_:in:)``.
    ///
    /// - Parameter query: The workflow, the filters, the range and which end of it.
    /// - Returns: The page, or the snapshot whose stored steps the page needs.
    /// - Throws: ``EngineError/Code/workflowNotFound`` if no such workflow is retained;
    ///   ``EngineError/Code/invalidArgument`` for a page size out of range, an empty sequence
    ///   range or a job the workflow does not have.
    public func steps(_ query: StepQuery) throws(EngineError) -> StepRead {
        guard (1...StepQuery.maxPageSize).contains(query.pageSize) else {
            throw .invalidArgument(field: "page_size", reason: "must be from 1 to \(StepQuery.maxPageSize), got \(query.pageSize)")
        }
        guard (query.afterSequence ?? 0) < (query.beforeSequence ?? .max) else {
            throw .invalidArgument(field: "before_sequence", reason: "must be greater than after_sequence")
        }
        let snapshot = try snapshot(id: query.workflowID)
        guard !snapshot.treeInStore else { return .inStore(snapshot) }
        try Self.checkJob(of: query, in: snapshot.workflow)
        // A window after the stored steps (a retried workflow's new ones) is all in memory.
        guard snapshot.holdsSteps(after: query.afterSequence ?? 0) else { return .inStore(snapshot) }
        return .page(Self.window(query, in: snapshot))
    }

    /// Refuses a query for a job `workflow` does not have.
    private nonisolated static func checkJob(of query: StepQuery, in workflow: Workflow) throws(EngineError) {
        if let jobID = query.jobID, !workflow.jobs.contains(where: { $0.id == jobID }) {
            throw .invalidArgument(field: "job_id", reason: "workflow \(query.workflowID) has no job \(jobID)")
        }
    }

    /// The window `query` asks for, from a tree that holds every step.
    ///
    /// - Parameters:
    ///   - query: A query ``steps(_:)`` accepted.
    ///   - snapshot: The tree ``steps(_:)`` answered with, after
    ///     ``withStoredHistory(_:includingSteps:)``; a snapshot still missing stored steps
    ///     stops the program.
    /// - Returns: The page.
    /// - Throws: ``EngineError/Code/invalidArgument`` for a job the workflow does not have.
    public nonisolated static func steps(_ query: StepQuery, in snapshot: WorkflowSnapshot) throws(EngineError) -> StepPage {
        try checkJob(of: query, in: snapshot.workflow)
        return window(query, in: snapshot)
    }

    /// The window `query` asks for, from a tree that holds every step after the window's start.
    private nonisolated static func window(_ query: StepQuery, in snapshot: WorkflowSnapshot) -> StepPage {
        precondition(snapshot.holdsSteps(after: query.afterSequence ?? 0), "the snapshot's stored steps must be read first")
        let workflow = snapshot.workflow
        let lower = query.afterSequence ?? 0
        let upper = query.beforeSequence ?? .max
        let jobs = query.jobID.map { jobID in workflow.jobs.filter { $0.id == jobID } } ?? workflow.jobs
        // The page's steps are among each job's first (or last) `pageSize + 1` matches; one
        // more than the page tells whether more lie beyond it.
        let wanted = query.pageSize + 1
        var candidates: [(step: Step, position: Int)] = []
        for job in jobs {
            let window = indices(of: job.steps, after: lower, before: upper)
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
            steps: page.map { .stepLogged($0.step, of: workflow.jobs[$0.position], in: workflow) },
            hasMore: hasMore
        )
    }

    /// The indices of the steps with a sequence in `after + 1 ..< before`.
    private nonisolated static func indices(of steps: [Step], after: UInt64, before: UInt64) -> Range<Int> {
        let start = steps.partitioningIndex { $0.sequence > after }
        let end = steps.partitioningIndex { $0.sequence >= before }
        return start ..< max(start, end)
    }
}
