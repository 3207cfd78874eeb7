import ArgumentParser

/// Which event store the benchmarked engine writes to.
enum BenchmarkStore: String, ExpressibleByArgument, Sendable {
    /// Events in memory only (`workflowd --store memory`).
    case memory
    /// The durable SQLite store in a fresh temporary directory (`workflowd`'s default).
    case sqlite
}
