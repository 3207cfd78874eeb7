/// A duration plus named counters such as `itemsProcessed`, `itemsCreated` or `itemsFailed`.
///
/// The engine measures ``durationMs`` itself, from the recorded start to the end (so a job's
/// duration spans all its attempts and the waits between them, across restarts); jobs record
/// the counters.
/// A workflow's stats are its total duration and the sum of its jobs' counters.
public struct Stats: Sendable, Hashable {
    /// Wall time in milliseconds, measured by the engine.
    public var durationMs: Int64
    /// Named counters, e.g. `["itemsProcessed": 100, "itemsFailed": 5]`.
    public var counters: [String: Int64]

    /// Creates stats.
    public init(durationMs: Int64 = 0, counters: [String: Int64] = [:]) {
        self.durationMs = durationMs
        self.counters = counters
    }

    /// Adds every counter of `other` to the counters of `self` (the duration is left alone).
    public mutating func addCounters(of other: Stats) {
        counters.merge(other.counters, uniquingKeysWith: &+)
    }
}
