import WorkflowModel

extension WorkflowEngine {
    /// Lets go of the steps (and job definitions) of the finished workflows beyond the newest
    /// ``HistoryInMemory/finishedWorkflowsWithSteps``, oldest first, once their terminal event
    /// is committed (the store then holds every step they logged). One whose terminal event is
    /// not committed yet stops the round; a later finish goes on. An entry of an earlier attempt
    /// (the workflow was retried since) or of a forgotten workflow is skipped.
    func leaveStepsOfOlderFinishedWorkflowsToStore() {
        let committed = events.lastSequence
        while finishedWithSteps.count > history.finishedWorkflowsWithSteps, let oldest = finishedWithSteps.first {
            guard let record = records[oldest.id],
                  record.workflow.attempt == oldest.attempt,
                  record.workflow.status != .running
            else {
                _ = finishedWithSteps.pop()
                continue
            }
            guard record.terminalSequence <= committed else { return }
            _ = finishedWithSteps.pop()
            // One restored already ended has no terminal sequence: its steps predate the restore.
            let lastStep = record.terminalSequence > 0 ? record.terminalSequence : restoredThroughSequence
            record.leaveHistoryToStore(through: max(lastStep, record.stepsInStoreThrough))
        }
    }

    /// `snapshot` with the steps only the store holds read back into its jobs, in order before
    /// the steps the tree holds. Reads the store, so call it off the network event loop.
    ///
    /// - Parameter snapshot: A snapshot from ``snapshot(id:)`` or ``steps(_:)``.
    /// - Returns: The snapshot holding every step; `snapshot` itself when it already does.
    /// - Throws: ``EngineError/Code/unavailable`` when the store cannot be read (logged as
    ///   `store.read_failed`); ``EngineError/Code/workflowNotFound`` when the workflow was
    ///   forgotten since the snapshot (the store no longer holds all its steps).
    public nonisolated func withStoredSteps(_ snapshot: WorkflowSnapshot) throws(EngineError) -> WorkflowSnapshot {
        guard !snapshot.holdsEveryStep, let store else { return snapshot }
        let id = snapshot.workflow.id
        let stored: [StoredStep]
        do {
            stored = try store.steps(ofWorkflow: id, through: snapshot.stepsInStoreThrough)
        } catch {
            logger.error("store.read_failed", metadata: ["workflow.id": "\(id)", "store.error": "\(error)"])
            throw .storeUnavailable("the steps of workflow \(id)", error)
        }
        var complete = snapshot
        var older = [[Step]](repeating: [], count: complete.workflow.jobs.count)
        for entry in stored where older.indices.contains(entry.jobPosition) {
            older[entry.jobPosition].append(entry.step)
        }
        for index in complete.workflow.jobs.indices {
            guard older[index].count == complete.workflow.jobs[index].storedStepCount else {
                // Forgotten meanwhile: its steps were deleted with it.
                throw .workflowNotFound(id)
            }
            complete.workflow.jobs[index].steps = older[index] + complete.workflow.jobs[index].steps
            complete.workflow.jobs[index].storedStepCount = 0
        }
        complete.stepsInStoreThrough = 0
        return complete
    }
}
