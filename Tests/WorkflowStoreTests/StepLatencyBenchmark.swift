import Foundation
import Logging
import Synchronization
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// `log_step` → watcher latency with the durable store, in process (a benchmark, not a test):
/// the time from a job's `logStep` call until a watcher waiting on the event log is woken with
/// that step, through the engine's drain, the group commit and the durable watermark. Runs only
/// with `WORKFLOW_BENCHMARK=1`; prints p50/p99 (see BENCHMARKS.md).
@Suite("Benchmark: log_step to watcher latency", .enabled(if: ProcessInfo.processInfo.environment["WORKFLOW_BENCHMARK"] == "1"))
struct StepLatencyBenchmark {
    static let steps = 2_000

    @Test("durable store", arguments: [true, false])
    func latency(durable: Bool) async throws {
        let sent = SentTimes(count: Self.steps)
        let template = WorkflowTemplate(type: "LATENCY", jobs: [
            JobDefinition(name: "Log") { context in
                for index in 0..<Self.steps {
                    sent.record(index)
                    context.logStep("\(index)")
                    try await Task.sleep(for: .microseconds(500))
                }
            },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let logger = Logger(label: "benchmark", factory: { _ in SwiftLogNoOpLogHandler() })
        let store: SQLiteEventStore? = durable
            ? try SQLiteEventStore(
                configuration: .init(directory: FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path),
                logger: logger
            )
            : nil
        let engine = WorkflowEngine(templates: templates, store: store, logger: logger)
        try await engine.restore()
        let log = engine.events
        let latencies = Mutex<[Duration]>([])
        let workflow = try await engine.start(WorkflowRequest(type: "LATENCY"))
        let filter = EventFilter(workflowID: workflow.id)
        var cursor: UInt64 = 0
        var done = false
        while !done {
            switch log.read(after: cursor, matching: filter, limit: 256) {
            case .truncated:
                Issue.record("truncated")
                return
            case .events(let events, let scanned):
                let now = ContinuousClock.now
                cursor = scanned
                for event in events {
                    if event.kind == .stepLogged, let index = Int(event.message) {
                        latencies.withLock { $0.append(now - sent.time(index)) }
                    }
                    if event.isTerminalWorkflowEvent { done = true }
                }
                if !events.isEmpty { continue }
            }
            await withCheckedContinuation { continuation in
                if log.notifyOnAppend(after: cursor, { continuation.resume() }) == nil {
                    continuation.resume()
                }
            }
        }
        let sorted = latencies.withLock { $0 }.sorted()
        let p50 = sorted[sorted.count / 2]
        let p99 = sorted[sorted.count * 99 / 100]
        print("benchmark.step_to_watcher store=\(durable ? "sqlite" : "memory") steps=\(sorted.count) p50=\(p50) p99=\(p99) max=\(sorted.last!)")
        await engine.shutdown()
    }
}

/// When each step was logged, by index.
final class SentTimes: Sendable {
    private let times: Mutex<[ContinuousClock.Instant]>

    init(count: Int) {
        times = Mutex(Array(repeating: .now, count: count))
    }

    func record(_ index: Int) {
        let now = ContinuousClock.now
        times.withLock { $0[index] = now }
    }

    func time(_ index: Int) -> ContinuousClock.Instant {
        times.withLock { $0[index] }
    }
}
