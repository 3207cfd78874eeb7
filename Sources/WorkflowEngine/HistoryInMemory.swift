/// How much of the history an engine with a store keeps in memory: memory follows what is hot
/// (running workflows, recently finished ones, the newest events), and older history is read
/// from the store when asked. Without a store everything retained stays in memory.
///
/// ```swift
/// let engine = WorkflowEngine(templates: .builtIn, store: store, history: HistoryInMemory(events: 50_000), logger: logger)
/// ```
public struct HistoryInMemory: Sendable, Hashable {
    /// The newest events the event log keeps in memory (at least 1); watchers read older ones
    /// from the store.
    public var events: Int
    /// How many of the most recently finished workflows keep their tree and steps in memory
    /// (0: none). An older completed or cancelled one keeps only its summary; an older failed
    /// one keeps its jobs (a retry needs them) with step counts. What they let go of is read
    /// from the store when a caller asks for it.
    public var finishedWorkflowsWithSteps: Int

    /// Creates a configuration.
    public init(events: Int = 100_000, finishedWorkflowsWithSteps: Int = 1_000) {
        self.events = max(1, events)
        self.finishedWorkflowsWithSteps = max(0, finishedWorkflowsWithSteps)
    }
}
