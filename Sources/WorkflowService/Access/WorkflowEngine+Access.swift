import AccessControl
import WorkflowEngine
import WorkflowModel

extension WorkflowEngine {
    /// `id`'s workflow if `caller` may see it. Another user's workflow is not found, exactly as
    /// an id that does not exist: a caller learns nothing of workflows it may not see.
    func workflow(id: String, visibleTo caller: Caller) throws(EngineError) -> Workflow {
        let workflow = try workflow(id: id)
        guard caller.sees(ownerID: workflow.userID) else { throw .workflowNotFound(id) }
        return workflow
    }

    /// Throws as ``workflow(id:visibleTo:)`` unless `caller` may also retry and cancel it.
    func requireControl(of id: String, by caller: Caller) throws(EngineError) {
        let workflow = try workflow(id: id)
        guard caller.controls(ownerID: workflow.userID) else { throw .workflowNotFound(id) }
    }
}
