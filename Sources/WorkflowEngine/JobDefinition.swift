/// One job of a workflow template: a name and the function that does the work.
///
/// The function runs off the engine actor (it is a plain `async` function), gets the job's
/// ``JobContext`` to log steps, progress and stats, and fails the job (and so the workflow) by
/// throwing.
///
/// ```swift
/// JobDefinition(name: "Process Data") { context in
///     context.logStep("Processed P-101", entity: EntityReference(tag: "P-101"))
///     context.incrementStat("itemsProcessed")
/// }
/// ```
public struct JobDefinition: Sendable {
    /// The job's human-readable name, e.g. "Process Data".
    public var name: String
    /// The work. Throwing fails the job and cancels the jobs after it.
    public var run: @Sendable (JobContext) async throws -> Void

    /// Creates a job definition.
    ///
    /// - Parameters:
    ///   - name: The job's human-readable name.
    ///   - run: The work; runs off the engine actor.
    public init(name: String, run: @escaping @Sendable (JobContext) async throws -> Void) {
        self.name = name
        self.run = run
    }
}
