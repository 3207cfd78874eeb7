import CoreMetrics
import NIOCore
import Synchronization
import WorkflowEngine
import WorkflowModel

/// Measures what the engine does by reading its event log, as a watcher would: the engine
/// itself knows nothing of metrics. Every visible event updates, through swift-metrics:
///
/// - `workflow_workflows_started_total{workflow_type}`, `workflow_workflows_retried_total`,
///   `workflow_workflows_finished_total{workflow_type,status}`;
/// - `workflow_job_attempts_total{workflow_type,job,outcome}` and the
///   `workflow_job_attempt_seconds` histogram (from the attempt's JOB_STARTED to its end), with
///   outcome `completed`, `failed`, `retried` (failed, another attempt scheduled), `cancelled`
///   or `interrupted`; `workflow_job_retries_total{workflow_type,job}`;
/// - `workflow_steps_logged_total{level}`, `workflow_events_appended_total` and the gauge
///   `workflow_event_log_last_sequence`.
///
/// Labels are workflow types, job names and statuses: bounded by the templates, never ids.
final class EngineMetrics: Sendable {
    private struct State {
        /// The last sequence counted.
        var cursor: UInt64
        var waiter: AppendWaiter?
        var isStopped = false
        /// When each running attempt started (ms), by job id.
        var attemptStarts: [String: Int64] = [:]
        var counters: [String: Counter] = [:]
        var timers: [String: Timer] = [:]
    }

    private static let batchLimit = 4096

    private let log: EventLog
    private let loop: any EventLoop
    private let state: Mutex<State>
    private let eventsAppended = Counter(label: "workflow_events_appended_total")
    /// Events the metrics skipped because they fell behind what the log holds in memory (the
    /// loop never reads the store for them).
    private let eventsSkipped = Counter(label: "workflow_metrics_events_skipped_total")
    private let lastSequence = Gauge(label: "workflow_event_log_last_sequence")

    /// Counts the events appended to `log` once started, on `loop`.
    init(log: EventLog, loop: any EventLoop) {
        self.log = log
        self.loop = loop
        self.state = Mutex(State(cursor: 0))
    }

    /// Starts following the log from its newest event (after the engine's restore: what was
    /// stored before is not counted again).
    func start() {
        let newest = log.lastSequence
        state.withLock { $0.cursor = newest }
        lastSequence.record(newest)
        loop.execute { self.drain() }
    }

    /// Stops following the log.
    func stop() {
        let waiter = state.withLock { state in
            state.isStopped = true
            return state.waiter.take()
        }
        if let waiter { log.cancel(waiter) }
    }

    /// Counts every visible event after the cursor, then waits for the next append.
    private func drain() {
        while true {
            let cursor = state.withLock { $0.isStopped ? nil : $0.cursor }
            guard let cursor else { return }
            if !log.holdsInMemory(after: cursor) {
                // Behind what memory holds: reading the store here would block the loop.
                let oldest = log.oldestSequenceInMemory
                eventsSkipped.increment(by: Int64(oldest - 1 - cursor))
                state.withLock { $0.cursor = oldest - 1 }
                continue
            }
            var events: [LogEvent] = []
            switch log.visit(after: cursor, matching: .all, limit: Self.batchLimit, { events.append(copy $0); return true }) {
            case .truncated(let oldestRetained):
                state.withLock { $0.cursor = oldestRetained - 1 }
                continue
            case .unavailable:
                // Counted once the store answers again, at the next append (the log logged it).
                break
            case .scanned(let through):
                count(events, through: through)
                guard through == cursor else { continue }
            }
            let waiter = log.notifyOnAppend(after: cursor) { [loop] in loop.execute { self.drain() } }
            guard let waiter else { continue }
            let stopped = state.withLock { state in
                state.waiter = waiter
                return state.isStopped
            }
            if stopped { log.cancel(waiter) }
            return
        }
    }

    private func count(_ events: [LogEvent], through: UInt64) {
        let updates = state.withLock { state -> [(Counter?, Timer?, Int64)] in
            state.cursor = through
            var updates: [(Counter?, Timer?, Int64)] = []
            for event in events {
                updates += Self.updates(for: event, in: &state)
            }
            return updates
        }
        eventsAppended.increment(by: events.count)
        lastSequence.record(through)
        for (counter, timer, milliseconds) in updates {
            counter?.increment()
            timer?.recordMilliseconds(milliseconds)
        }
    }

    /// The counters to increment and durations to record for one event.
    private static func updates(for event: LogEvent, in state: inout State) -> [(Counter?, Timer?, Int64)] {
        let type = event.workflowType
        switch event.kind {
        case .workflowStarted:
            return [(counter("workflow_workflows_started_total", [("workflow_type", type)], &state), nil, 0)]
        case .workflowRetried:
            return [(counter("workflow_workflows_retried_total", [("workflow_type", type)], &state), nil, 0)]
        case .workflowCompleted, .workflowFailed, .workflowCancelled:
            let status = event.kind == .workflowCompleted ? "COMPLETED" : event.kind == .workflowFailed ? "FAILED" : "CANCELLED"
            return [(counter("workflow_workflows_finished_total", [("workflow_type", type), ("status", status)], &state), nil, 0)]
        case .jobStarted:
            if let job = event.job { state.attemptStarts[job.id] = event.timestampMs }
            return []
        case .jobCompleted, .jobFailed, .jobCancelled, .jobRetryScheduled, .jobInterrupted:
            guard let job = event.job else { return [] }
            let outcome: String
            switch event.kind {
            case .jobCompleted: outcome = "completed"
            case .jobFailed: outcome = "failed"
            case .jobRetryScheduled: outcome = "retried"
            case .jobInterrupted: outcome = "interrupted"
            default: outcome = "cancelled"
            }
            let labels = [("workflow_type", type), ("job", job.name), ("outcome", outcome)]
            var updates: [(Counter?, Timer?, Int64)] = []
            // A job cancelled before it started has no attempt to count.
            if let started = state.attemptStarts.removeValue(forKey: job.id) {
                updates.append((counter("workflow_job_attempts_total", labels, &state), timer("workflow_job_attempt_seconds", labels, &state),
                                max(0, event.timestampMs - started)))
            }
            if event.kind == .jobRetryScheduled {
                updates.append((counter("workflow_job_retries_total", [("workflow_type", type), ("job", job.name)], &state), nil, 0))
            }
            return updates
        case .stepLogged:
            let level = event.step?.level ?? event.level
            return [(counter("workflow_steps_logged_total", [("level", level.description)], &state), nil, 0)]
        default:
            return []
        }
    }

    private static func counter(_ label: String, _ dimensions: [(String, String)], _ state: inout State) -> Counter {
        cached(label, dimensions, in: &state.counters) { Counter(label: label, dimensions: dimensions) }
    }

    private static func timer(_ label: String, _ dimensions: [(String, String)], _ state: inout State) -> Timer {
        cached(label, dimensions, in: &state.timers) { Timer(label: label, dimensions: dimensions) }
    }

    /// The metric of `label` with `dimensions`, made once (a lookup in the factory costs more).
    private static func cached<Metric>(
        _ label: String, _ dimensions: [(String, String)], in metrics: inout [String: Metric], make: () -> Metric
    ) -> Metric {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        if let metric = metrics[key] { return metric }
        let metric = make()
        metrics[key] = metric
        return metric
    }
}
