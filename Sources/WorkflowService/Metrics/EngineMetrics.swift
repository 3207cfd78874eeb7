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
    /// A finished workflow's labels.
    private struct FinishedKey: Hashable {
        var type: String
        var status: String
    }

    /// An ended attempt's labels.
    private struct AttemptKey: Hashable {
        var type: String
        var job: String
        var outcome: String
    }

    /// A retried job's labels.
    private struct JobKey: Hashable {
        var type: String
        var job: String
    }

    /// What one event adds: a counter to increment and, for an attempt, its duration.
    private struct Update {
        var counter: Counter
        var timer: Timer?
        var milliseconds: Int64 = 0
    }

    private struct State {
        /// The last sequence counted.
        var cursor: UInt64
        var waiter: AppendWaiter?
        var isStopped = false
        /// When each running attempt started (ms), by job id.
        var attemptStarts: [String: Int64] = [:]
        // Each metric made once, found by labels that need no allocation to look up.
        var started: [String: Counter] = [:]
        var retried: [String: Counter] = [:]
        var finished: [FinishedKey: Counter] = [:]
        var attempts: [AttemptKey: (counter: Counter, timer: Timer)] = [:]
        var retries: [JobKey: Counter] = [:]
        var steps: [LogLevel: Counter] = [:]
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
    ///
    /// Events are counted where the log lends them (no copy): the log's lock is taken inside
    /// this one, never the other way round. The metrics are updated outside both.
    private func drain() {
        var updates: [Update] = []
        while true {
            updates.removeAll(keepingCapacity: true)
            var counted = 0
            let outcome = state.withLock { state -> (cursor: UInt64, visit: EventVisit)? in
                guard !state.isStopped else { return nil }
                let cursor = state.cursor
                if !log.holdsInMemory(after: cursor) {
                    // Behind what memory holds: reading the store here would block the loop.
                    let oldest = log.oldestSequenceInMemory
                    eventsSkipped.increment(by: Int64(oldest - 1 - cursor))
                    state.cursor = oldest - 1
                    return (cursor, .scanned(through: oldest - 1))
                }
                let visit = log.visit(after: cursor, matching: .all, limit: Self.batchLimit) { event in
                    Self.appendUpdates(for: event, in: &state, to: &updates)
                    counted += 1
                    return true
                }
                switch visit {
                case .truncated(let oldestRetained):
                    state.cursor = oldestRetained - 1
                case .scanned(let through):
                    state.cursor = through
                case .unavailable:
                    break
                }
                return (cursor, visit)
            }
            guard let (cursor, visit) = outcome else { return }
            if counted > 0 {
                eventsAppended.increment(by: counted)
            }
            for update in updates {
                update.counter.increment()
                update.timer?.recordMilliseconds(update.milliseconds)
            }
            switch visit {
            case .truncated:
                continue
            case .unavailable:
                // Counted once the store answers again, at the next append (the log logged it).
                break
            case .scanned(let through):
                lastSequence.record(through)
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

    /// Appends to `updates` what `event` adds.
    private static func appendUpdates(for event: borrowing LogEvent, in state: inout State, to updates: inout [Update]) {
        let type = event.workflowType
        switch event.kind {
        case .workflowStarted:
            updates.append(Update(counter: cached(type, in: &state.started) {
                Counter(label: "workflow_workflows_started_total", dimensions: [("workflow_type", type)])
            }))
        case .workflowRetried:
            updates.append(Update(counter: cached(type, in: &state.retried) {
                Counter(label: "workflow_workflows_retried_total", dimensions: [("workflow_type", type)])
            }))
        case .workflowCompleted, .workflowFailed, .workflowCancelled:
            let status = event.kind == .workflowCompleted ? "COMPLETED" : event.kind == .workflowFailed ? "FAILED" : "CANCELLED"
            updates.append(Update(counter: cached(FinishedKey(type: type, status: status), in: &state.finished) {
                Counter(label: "workflow_workflows_finished_total", dimensions: [("workflow_type", type), ("status", status)])
            }))
        case .jobStarted:
            if let job = event.job { state.attemptStarts[job.id] = event.timestampMs }
        case .jobCompleted, .jobFailed, .jobCancelled, .jobRetryScheduled, .jobInterrupted:
            guard let job = event.job else { return }
            let outcome: String
            switch event.kind {
            case .jobCompleted: outcome = "completed"
            case .jobFailed: outcome = "failed"
            case .jobRetryScheduled: outcome = "retried"
            case .jobInterrupted: outcome = "interrupted"
            default: outcome = "cancelled"
            }
            // A job cancelled before it started has no attempt to count.
            if let started = state.attemptStarts.removeValue(forKey: job.id) {
                let key = AttemptKey(type: type, job: job.name, outcome: outcome)
                let metrics = cached(key, in: &state.attempts) {
                    let labels = [("workflow_type", type), ("job", job.name), ("outcome", outcome)]
                    return (Counter(label: "workflow_job_attempts_total", dimensions: labels), Timer(label: "workflow_job_attempt_seconds", dimensions: labels))
                }
                updates.append(Update(counter: metrics.counter, timer: metrics.timer, milliseconds: max(0, event.timestampMs - started)))
            }
            if event.kind == .jobRetryScheduled {
                updates.append(Update(counter: cached(JobKey(type: type, job: job.name), in: &state.retries) {
                    Counter(label: "workflow_job_retries_total", dimensions: [("workflow_type", type), ("job", job.name)])
                }))
            }
        case .stepLogged:
            let level = event.step?.level ?? event.level
            updates.append(Update(counter: cached(level, in: &state.steps) {
                Counter(label: "workflow_steps_logged_total", dimensions: [("level", level.description)])
            }))
        default:
            break
        }
    }

    /// The metric for `key`, made once (a lookup in the factory costs more).
    private static func cached<Key: Hashable, Metric>(_ key: Key, in metrics: inout [Key: Metric], make: () -> Metric) -> Metric {
        if let metric = metrics[key] { return metric }
        let metric = make()
        metrics[key] = metric
        return metric
    }
}
