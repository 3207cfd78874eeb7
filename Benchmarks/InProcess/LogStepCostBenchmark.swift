internal import CAllocationCounter
import Synchronization
import WorkflowEngine
import WorkflowModel

/// The cost of `JobContext.logStep`: a job logs `steps` steps back to back, each with an
/// entity (the same one, or a new one per step with `entityPerStep`), as a template's loop
/// would. The workflow runs twice and the second run is measured, so the event log's memory is
/// already in use (a server that has been running a while).
///
/// - The caller's cost is the loop's time divided by the steps: what a job pays per call.
/// - The recorded cost runs until the engine has appended every step to the log and the
///   workflow completed: everything the process spends per step, on every thread.
/// - Allocations are counted over the same span, on every thread, per step.
struct LogStepCostBenchmark {
    let steps: Int
    let store: BenchmarkStore
    let entityPerStep: Bool

    struct Result {
        var callerNanoseconds: Double
        var recordedNanoseconds: Double
        var allocationsPerCall: Double
    }

    /// The entity each step refers to.
    private static func entity() -> EntityReference {
        EntityReference(tag: "P-101", route: "/products/P-101", id: "101", type: "Product")
    }

    func run() async throws -> Result {
        let steps = self.steps
        let entityPerStep = self.entityPerStep
        let callerTime = Mutex<Duration>(.zero)
        let template = WorkflowTemplate(type: "BENCH_LOG_STEP", jobs: [
            JobDefinition(name: "Log") { context in
                let shared = Self.entity()
                let start = ContinuousClock.now
                for _ in 0..<steps {
                    context.logStep("Created P-101", entity: entityPerStep ? Self.entity() : shared)
                }
                let elapsed = ContinuousClock.now - start
                callerTime.withLock { $0 = elapsed }
            },
        ])
        let bench = try BenchmarkEngine(template: template, store: store)
        try await bench.prepare()
        var measured: (recorded: Duration, allocations: UInt64) = (.zero, 0)
        for _ in 0..<2 {
            let cursor = bench.engine.events.lastSequence
            let allocationsBefore = c_allocation_counter_allocations()
            let start = ContinuousClock.now
            let workflow = try await bench.engine.start(WorkflowRequest(type: "BENCH_LOG_STEP")).value
            try await bench.waitForEnd(of: workflow.id, after: cursor, skippingDropped: true)
            measured = (ContinuousClock.now - start, c_allocation_counter_allocations() - allocationsBefore)
            let logged = try await bench.engine.workflow(id: workflow.id).jobs[0].steps.count
            guard logged == steps else {
                try await bench.shutdown()
                throw BenchmarkFailure("expected \(steps) STEP_LOGGED events, read \(logged)")
            }
        }
        try await bench.shutdown()
        let (recorded, allocations) = measured
        return Result(
            callerNanoseconds: callerTime.withLock { $0 }.nanoseconds / Double(steps),
            recordedNanoseconds: recorded.nanoseconds / Double(steps),
            allocationsPerCall: Double(allocations) / Double(steps)
        )
    }
}

extension Duration {
    /// The duration in nanoseconds.
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
