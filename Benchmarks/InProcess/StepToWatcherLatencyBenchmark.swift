import Synchronization
import WorkflowEngine
import WorkflowModel

/// The time from a job's `logStep` until a watcher waiting on the event log has that step: the
/// job's buffer, the engine's drain, the log's append (and with SQLite the group commit and the
/// durable watermark), and the watcher's wake-up. Steps are `interval` apart so each one is
/// seen alone, as a live console sees them.
struct StepToWatcherLatencyBenchmark {
    let steps: Int
    let interval: Duration
    let store: BenchmarkStore

    /// Latencies, sorted, in microseconds.
    struct Result {
        let sortedMicroseconds: [Double]

        var count: Int { sortedMicroseconds.count }

        /// The `percent`th percentile (nearest rank); 100 is the maximum.
        func percentile(_ percent: Int) -> Double {
            let rank = (sortedMicroseconds.count * percent + 99) / 100
            return sortedMicroseconds[max(0, min(sortedMicroseconds.count - 1, rank - 1))]
        }
    }

    func run() async throws -> Result {
        let steps = self.steps
        let interval = self.interval
        let sentTimes = Mutex([ContinuousClock.Instant](repeating: .now, count: steps))
        let template = WorkflowTemplate(type: "BENCH_LATENCY", jobs: [
            JobDefinition(name: "Log") { context in
                for index in 0..<steps {
                    if interval > .zero {
                        try await Task.sleep(for: interval)
                    }
                    let now = ContinuousClock.now
                    sentTimes.withLock { $0[index] = now }
                    context.logStep(String(index))
                }
            },
        ])
        let bench = try BenchmarkEngine(template: template, store: store)
        try await bench.prepare()
        let cursor = bench.engine.events.lastSequence
        let workflow = try await bench.engine.start(WorkflowRequest(type: "BENCH_LATENCY")).value
        var latencies: [Double] = []
        latencies.reserveCapacity(steps)
        try await bench.waitForEnd(of: workflow.id, after: cursor) { event in
            guard event.kind == .stepLogged, let index = Int(event.message) else { return }
            let now = ContinuousClock.now
            latencies.append((now - sentTimes.withLock { $0[index] }).nanoseconds / 1_000)
        }
        try await bench.shutdown()
        guard latencies.count == steps else {
            throw BenchmarkFailure("expected \(steps) STEP_LOGGED events, read \(latencies.count)")
        }
        return Result(sortedMicroseconds: latencies.sorted())
    }
}
