import Synchronization

/// Per-workflow scratch state, keyed by workflow id, that lets one job hand its result to the
/// next (fetch → process → validate → save).
///
/// A workflow's entry is removed when its last job completes. A failed workflow's entry stays
/// so that a retry, which re-runs the failed job and the ones after it, finds the earlier
/// jobs' results; the oldest entries beyond ``capacity`` are evicted, and a job whose input
/// was evicted derives it again (see ``ScratchState``).
public final class WorkflowScratchpad: Sendable {
    private struct State {
        var entries: [String: ScratchState] = [:]
        /// Workflow ids, oldest first.
        var order: [String] = []
    }

    /// How many workflows' entries are kept at most.
    public let capacity: Int
    // Sendable: all mutable state lives in the Mutex; `capacity` is immutable.
    private let state = Mutex(State())

    /// Creates an empty scratchpad keeping at most `capacity` workflows' entries.
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// Reads a value of workflow `id`'s entry, if the entry exists.
    public func read<Value: Sendable>(_ id: String, _ body: (ScratchState) -> Value?) -> Value? {
        state.withLock { state in state.entries[id].flatMap(body) }
    }

    /// Changes workflow `id`'s entry, creating it (and evicting the oldest beyond capacity).
    public func update(_ id: String, _ body: (inout ScratchState) -> Void) {
        state.withLock { state in
            if state.entries[id] == nil {
                state.order.append(id)
                while state.order.count > capacity {
                    state.entries.removeValue(forKey: state.order.removeFirst())
                }
            }
            body(&state.entries[id, default: ScratchState()])
        }
    }

    /// Forgets workflow `id`'s entry.
    public func remove(_ id: String) {
        state.withLock { state in
            guard state.entries.removeValue(forKey: id) != nil else { return }
            state.order.removeAll { $0 == id }
        }
    }

    /// How many workflows have an entry.
    public var count: Int {
        state.withLock { $0.entries.count }
    }
}
