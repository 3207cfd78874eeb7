import WorkflowEngine

extension WorkflowEngine {
    /// Runs `operation` on the engine with a plain function call, for the service's handlers,
    /// from whichever event loop they run on.
    ///
    /// ``WorkflowServer`` runs the engine on a ``LockedEngineExecutor``, which any thread can
    /// enter; an engine without one is a programming error and stops the program.
    nonisolated func fromHandler<T: Sendable, Failure: Error>(
        _ operation: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T {
        guard let result = try enter(operation) else {
            preconditionFailure("the workflow service needs an engine on an executor its handlers can enter (see WorkflowServer)")
        }
        return result
    }
}
