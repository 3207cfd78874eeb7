import WorkflowEngine

extension WorkflowEngine {
    /// Runs `operation` on the engine with a plain function call, for the service's handlers.
    ///
    /// Every handler runs on the event loop that ``WorkflowServer`` made the engine's executor,
    /// so the engine is isolated there by construction; a call from anywhere else is a
    /// programming error and stops the program.
    nonisolated func onItsLoop<T: Sendable, Failure: Error>(
        _ operation: (isolated WorkflowEngine) throws(Failure) -> T
    ) throws(Failure) -> T {
        guard let result = try ifIsolated(operation) else {
            preconditionFailure("a handler of the workflow service ran off its engine's event loop (see WorkflowServer)")
        }
        return result
    }
}
