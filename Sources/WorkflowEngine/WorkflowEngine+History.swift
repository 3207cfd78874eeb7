import WorkflowModel

extension WorkflowEngine {
    /// Lets the finished workflows beyond the newest
    /// ``HistoryInMemory/finishedWorkflowsWithSteps`` leave their history to the store (see
    /// ``WorkflowRecord/leaveHistoryToStore(through:)``), oldest first, once their terminal
    /// event is committed (the store then holds every step they logged and their final tree). One whose terminal event is
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

    /// `snapshot` with what only the store holds read back: the tree of a workflow that keeps
    /// only its summary in memory, and the steps left to the store (in order before those the
    /// tree holds). Reads the store, so call it off the network event loop.
    ///
    /// - Parameters:
    ///   - snapshot: A snapshot from ``snapshot(id:)`` or ``steps(_:)``.
    ///   - includingSteps: Whether to read the steps; without them each job's `stepCount`
    ///     still counts them.
    /// - Returns: The snapshot with the tree (and the steps, if asked for); `snapshot` itself
    ///   when nothing asked for is in the store.
    /// - Throws: ``EngineError/Code/unavailable`` when the store cannot be read (logged as
    ///   `store.read_failed`); ``EngineError/Code/workflowNotFound`` when the workflow was
    ///   forgotten since the snapshot (the store no longer holds it).
    public nonisolated func withStoredHistory(_ snapshot: WorkflowSnapshot, includingSteps: Bool = true) throws(EngineError) -> WorkflowSnapshot {
        guard let store, !snapshot.suffices(includingSteps: includingSteps) else { return snapshot }
        let id = snapshot.workflow.id
        do {
            if snapshot.treeInStore {
                guard let stored = try store.workflow(id: id, stepsThrough: includingSteps ? snapshot.stepsInStoreThrough : nil) else {
                    throw EngineError.workflowNotFound(id)
                }
                var complete = snapshot
                complete.workflow = stored
                complete.treeInStore = false
                complete.stepsInStoreThrough = includingSteps ? 0 : snapshot.stepsInStoreThrough
                return complete
            }
            return try Self.withStoredSteps(snapshot, from: store.steps(ofWorkflow: id, through: snapshot.stepsInStoreThrough, jobIDs: snapshot.workflow.jobs.map(\.id)))
        } catch let error as EngineError {
            throw error
        } catch {
            logger.error("store.read_failed", metadata: ["workflow.id": "\(id)", "store.error": "\(error)"])
            throw .storeUnavailable("workflow \(id)", error)
        }
    }

    /// `page` with the trees of the workflows that keep only their summary in memory read from
    /// the store (their jobs without steps, each counting its steps); a workflow forgotten since
    /// is left out. Reads the store, so call it off the network event loop.
    ///
    /// - Parameter page: A page from ``list(_:)``.
    /// - Returns: The page with every workflow's jobs.
    /// - Throws: ``EngineError/Code/unavailable`` when the store cannot be read (logged).
    public nonisolated func withStoredTrees(_ page: WorkflowPage) throws(EngineError) -> WorkflowPage {
        guard let store, !page.treesInStore.isEmpty else { return page }
        let ids = page.workflows.map(\.id).filter { page.treesInStore.contains($0) }
        let stored: [String: Workflow]
        do {
            stored = try store.workflows(ids: ids)
        } catch {
            logger.error("store.read_failed", metadata: ["workflow.ids": "\(ids.joined(separator: ","))", "store.error": "\(error)"])
            throw .storeUnavailable("workflows \(ids.joined(separator: ", "))", error)
        }
        var complete = page
        complete.treesInStore = []
        complete.workflows = page.workflows.compactMap { workflow in
            page.treesInStore.contains(workflow.id) ? stored[workflow.id] : workflow
        }
        return complete
    }

    /// `snapshot` with `stored`, its steps read from the store, put before those in its tree.
    ///
    /// - Throws: ``EngineError/Code/workflowNotFound`` when a job's stored steps are fewer than
    ///   it counts: the workflow was forgotten meanwhile, its steps deleted with it.
    private static func withStoredSteps(_ snapshot: WorkflowSnapshot, from stored: [StoredStep]) throws(EngineError) -> WorkflowSnapshot {
        var complete = snapshot
        var older = [[Step]](repeating: [], count: complete.workflow.jobs.count)
        for entry in stored where older.indices.contains(entry.jobPosition) {
            older[entry.jobPosition].append(entry.step)
        }
        for index in complete.workflow.jobs.indices {
            guard older[index].count == complete.workflow.jobs[index].storedStepCount else {
                throw .workflowNotFound(snapshot.workflow.id)
            }
            complete.workflow.jobs[index].steps = older[index] + complete.workflow.jobs[index].steps
            complete.workflow.jobs[index].storedStepCount = 0
        }
        complete.stepsInStoreThrough = 0
        return complete
    }
}
