import AccessControl
import WorkflowEngine
import WorkflowModel

extension WorkflowEngine {
    /// `id`'s workflow if `caller` may see it. Another user's workflow is not found, exactly as
    /// an id that does not exist: a caller learns nothing of workflows it may not see.
    func workflow(id: String, visibleTo caller: Caller) throws(EngineError) -> Workflow {
        try only(caller.sees(ownerID:), try workflow(id: id))
    }

    /// `id`'s snapshot (``snapshot(id:)``) if `caller` may see the workflow; NOT_FOUND as above.
    func snapshot(id: String, visibleTo caller: Caller) throws(EngineError) -> WorkflowSnapshot {
        let snapshot = try snapshot(id: id)
        _ = try only(caller.sees(ownerID:), snapshot.workflow)
        return snapshot
    }

    /// Throws as ``workflow(id:visibleTo:)`` unless `caller` may also retry and cancel it.
    func requireControl(of id: String, by caller: Caller) throws(EngineError) {
        _ = try only(caller.controls(ownerID:), try workflow(id: id))
    }

    /// `workflow` if `allowed` says yes to its owner, else the NOT_FOUND of an unknown id.
    private func only(_ allowed: (String) -> Bool, _ workflow: Workflow) throws(EngineError) -> Workflow {
        guard allowed(workflow.userID) else { throw .workflowNotFound(workflow.id) }
        return workflow
    }
}
