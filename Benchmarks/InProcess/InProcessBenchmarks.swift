import ArgumentParser
import Foundation
import WorkflowMessages

/// In-process benchmarks for `Scripts/bench.sh`: the cost of `JobContext.logStep`, the latency
/// from `logStep` to a watcher of the event log, and the cost of encoding and decoding messages.
///
/// Every figure is printed as one `key=value` line, e.g. `log_step.caller_ns=85.2`, for the
/// driver (`Benchmarks/bench.py`) to collect. The engine runs as in `workflowd`: on a SwiftNIO
/// event loop through ``LockedEngineExecutor``, with the in-memory log or the SQLite store.
@main
struct InProcessBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow-bench",
        abstract: "Measures log_step cost, log_step → watcher latency and message codec cost in process."
    )

    @Option(help: "Where events go: memory or sqlite.")
    var store: BenchmarkStore = .memory

    @Option(help: "Steps logged back to back for the log_step cost.")
    var steps = 1_000_000

    @Option(help: "Steps logged for the latency measurement.")
    var latencySteps = 5_000

    @Option(help: "Pause between two latency steps, in microseconds.")
    var intervalMicroseconds = 500

    @Option(help: "Calls per round of each message encode and decode.")
    var codecIterations = 200_000

    @Flag(help: "For the log_step cost: make a new entity for every step, as a template that logs one per item does, instead of one for all.")
    var entityPerStep = false

    @Flag(help: "Print the path of each WorkflowService method (path.NAME=PATH) and exit.")
    var methodPaths = false

    func validate() throws {
        guard steps > 0, latencySteps > 0, codecIterations > 0, intervalMicroseconds >= 0 else {
            throw ValidationError("--steps, --latency-steps and --codec-iterations must be positive, --interval-microseconds not negative")
        }
    }

    func run() async throws {
        if methodPaths {
            for method in WorkflowV1.WorkflowService.descriptor.methods {
                print("path.\(method.name)=\(method.path)")
            }
            return
        }
        // Latency first: the cost run leaves a million-step log (and, with SQLite, a large
        // database still being checkpointed) that would disturb it.
        let latency = try await StepToWatcherLatencyBenchmark(
            steps: latencySteps,
            interval: .microseconds(intervalMicroseconds),
            store: store
        ).run()
        print("step_to_watcher.steps=\(latency.count)")
        print("step_to_watcher.p50_us=\(latency.percentile(50).twoDecimals)")
        print("step_to_watcher.p99_us=\(latency.percentile(99).twoDecimals)")
        print("step_to_watcher.max_us=\(latency.percentile(100).twoDecimals)")

        let cost = try await LogStepCostBenchmark(steps: steps, store: store, entityPerStep: entityPerStep).run()
        print("log_step.store=\(store.rawValue)")
        print("log_step.entity=\(entityPerStep ? "per_step" : "shared")")
        print("log_step.steps=\(steps)")
        print("log_step.caller_ns=\(cost.callerNanoseconds.twoDecimals)")
        print("log_step.recorded_ns=\(cost.recordedNanoseconds.twoDecimals)")
        print("log_step.allocations_per_call=\(cost.allocationsPerCall.twoDecimals)")

        for figure in MessageCodecBenchmark(iterations: codecIterations).run() {
            print("codec.\(figure.name)_ns=\(figure.nanoseconds.twoDecimals)")
            print("codec.\(figure.name)_allocations=\(figure.allocations.twoDecimals)")
        }
    }
}

extension Double {
    /// The value with two decimals, as the driver parses it.
    var twoDecimals: String { String(format: "%.2f", self) }
}
