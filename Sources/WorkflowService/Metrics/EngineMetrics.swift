import CoreMetrics
import NIOCore
import Synchronization
import WorkflowEngine
import WorkflowModel

/// Measures what the engine does by reading its event log, as a watcher would: the engine
/// itself knows nothing of metrics. Every visible event is counted, and after each batch of
/// events the counts reach swift-metrics:
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
    /// How an attempt ended: the `outcome` label.
    private enum Outcome: Int, CaseIterable {
        case completed, failed, retried, cancelled, interrupted

        /// The outcome a job event reports, if it ends an attempt.
        init?(_ kind: LogEventKind) {
            switch kind {
            case .jobCompleted: self = .completed
            case .jobFailed: self = .failed
            case .jobRetryScheduled: self = .retried
            case .jobCancelled: self = .cancelled
            case .jobInterrupted: self = .interrupted
            default: return nil
            }
        }

        /// The `outcome` label's value.
        var label: String {
            switch self {
            case .completed: "completed"
            case .failed: "failed"
            case .retried: "retried"
            case .cancelled: "cancelled"
            case .interrupted: "interrupted"
            }
        }
    }

    /// How a workflow ended: the `status` label of `workflow_workflows_finished_total`.
    private enum FinishedStatus: Int, CaseIterable {
        case completed, failed, cancelled

        /// The status the event that ends a workflow reports; nil for any other event.
        init?(_ kind: LogEventKind) {
            switch kind {
            case .workflowCompleted: self = .completed
            case .workflowFailed: self = .failed
            case .workflowCancelled: self = .cancelled
            default: return nil
            }
        }

        /// The `status` label's value.
        var label: String {
            switch self {
            case .completed: "COMPLETED"
            case .failed: "FAILED"
            case .cancelled: "CANCELLED"
            }
        }
    }

    /// One counter's increments since the last flush, and the counter, made at its first flush
    /// (so a series appears once something was counted in it).
    private struct Tally {
        var pending: Int64 = 0
        var counter: Counter?

        /// Adds what was counted to the counter, making it with `make` the first time.
        mutating func flush(_ make: () -> Counter) {
            guard pending > 0 else { return }
            let counter = self.counter ?? make()
            self.counter = counter
            counter.increment(by: pending)
            pending = 0
        }
    }

    /// The metrics of one job of one workflow type, by outcome.
    private struct JobMetrics {
        /// The job's name: the `job` label.
        let name: String
        /// Its attempts, by `Outcome`.
        var attempts = Array(repeating: Tally(), count: Outcome.allCases.count)
        /// Its attempts' durations, by `Outcome`; each made at its first recorded duration.
        var timers = [Timer?](repeating: nil, count: Outcome.allCases.count)
        /// Its retries.
        var retries = Tally()
    }

    /// The metrics of one workflow type.
    private struct TypeMetrics {
        /// The workflow type: the `workflow_type` label.
        let type: String
        var started = Tally()
        var retried = Tally()
        /// Its workflows that ended, by `FinishedStatus`.
        var finished = Array(repeating: Tally(), count: FinishedStatus.allCases.count)
        var jobs: [JobMetrics] = []
        /// Whether it counted anything since the last flush.
        var isDirty = false
    }

    /// A job by its type's position in `State.types` and its name.
    private struct JobKey: Hashable {
        var type: Int
        var name: String
    }

    /// An attempt's duration, recorded into its timer at the next flush.
    private struct AttemptDuration {
        var type: Int
        var job: Int
        var outcome: Outcome
        var milliseconds: Int64
    }

    /// What the events counted so far add up to. Events are counted here, in plain integers
    /// found by position (the type looked up once per run of consecutive events of the same
    /// type, a job by its type and name), and reach swift-metrics once per batch of events
    /// (`flush`).
    private struct State {
        /// The last sequence counted.
        var cursor: UInt64
        var waiter: AppendWaiter?
        var isStopped = false
        /// When each running attempt started (ms), by job id.
        var attemptStarts: [String: Int64] = [:]
        /// Where each type's metrics are in `types`.
        var typePositions: [String: Int] = [:]
        /// Each type's metrics, in the order of their first events.
        var types: [TypeMetrics] = []
        /// Where each job's metrics are in its type's `jobs`; kept here, not in `TypeMetrics`,
        /// so that a lookup does not copy the type's metrics out of `types`.
        var jobPositions: [JobKey: Int] = [:]
        /// The type the last event counted was of, and its position in `types`.
        var lastType: (name: String, position: Int)?
        /// The types counted since the last flush (each marked `isDirty`).
        var dirtyTypes: [Int] = []
        /// Steps logged, by level (`LogLevel.rank`).
        var steps = Array(repeating: Tally(), count: LogLevel.allCases.count)
        /// The attempts that ended since the last flush, with their durations.
        var durations: [AttemptDuration] = []
        /// The events counted since the last flush.
        var eventsCounted: Int64 = 0
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
    /// Events are counted where the log lends them: the log's lock is taken inside this one,
    /// never the other way round. What they add reaches swift-metrics after the log's lock is
    /// released but under this one, one increment per counter and batch of events, not one per
    /// event: no metrics backend may call back into `EngineMetrics`.
    private func drain() {
        while true {
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
                    Self.count(event, in: &state)
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
                flush(&state)
                return (cursor, visit)
            }
            guard let (cursor, visit) = outcome else { return }
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

    /// Counts what `event` adds.
    private static func count(_ event: borrowing LogEvent, in state: inout State) {
        state.eventsCounted += 1
        let kind = event.kind
        switch kind {
        case .workflowStarted:
            let type = typePosition(of: event, in: &state)
            state.types[type].started.pending += 1
        case .workflowRetried:
            let type = typePosition(of: event, in: &state)
            state.types[type].retried.pending += 1
        case .workflowCompleted, .workflowFailed, .workflowCancelled:
            guard let status = FinishedStatus(kind) else { return }
            let type = typePosition(of: event, in: &state)
            state.types[type].finished[status.rawValue].pending += 1
        case .jobStarted:
            if let job = event.job { state.attemptStarts[job.id] = event.timestampMs }
        case .jobCompleted, .jobFailed, .jobCancelled, .jobRetryScheduled, .jobInterrupted:
            guard let job = event.job, let outcome = Outcome(kind) else { return }
            // A job cancelled before it started has no attempt to count.
            let started = state.attemptStarts.removeValue(forKey: job.id)
            guard started != nil || kind == .jobRetryScheduled else { return }
            let type = typePosition(of: event, in: &state)
            let position = jobPosition(named: job.name, inType: type, in: &state)
            if let started {
                state.types[type].jobs[position].attempts[outcome.rawValue].pending += 1
                state.durations.append(
                    AttemptDuration(type: type, job: position, outcome: outcome, milliseconds: max(0, event.timestampMs - started))
                )
            }
            if kind == .jobRetryScheduled {
                state.types[type].jobs[position].retries.pending += 1
            }
        case .stepLogged:
            let level = event.stepLevel ?? event.level
            state.steps[level.rank - 1].pending += 1
        default:
            break
        }
    }

    /// The position in `state.types` of the type of `event`, added at its first event and
    /// marked as counted since the last flush.
    private static func typePosition(of event: borrowing LogEvent, in state: inout State) -> Int {
        let type = event.workflowType
        let position: Int
        if let last = state.lastType, last.name == type {
            position = last.position
        } else if let known = state.typePositions[type] {
            position = known
            state.lastType = (type, known)
        } else {
            position = state.types.count
            state.types.append(TypeMetrics(type: type))
            state.typePositions[type] = position
            state.lastType = (type, position)
        }
        if !state.types[position].isDirty {
            state.types[position].isDirty = true
            state.dirtyTypes.append(position)
        }
        return position
    }

    /// The position of the job `name` among the jobs of type `type`, added at its first count.
    private static func jobPosition(named name: String, inType type: Int, in state: inout State) -> Int {
        let key = JobKey(type: type, name: name)
        if let known = state.jobPositions[key] {
            return known
        }
        let position = state.types[type].jobs.count
        state.types[type].jobs.append(JobMetrics(name: name))
        state.jobPositions[key] = position
        return position
    }

    /// Hands what was counted since the last flush to swift-metrics, making each metric at its
    /// first count.
    private func flush(_ state: inout State) {
        if state.eventsCounted > 0 {
            eventsAppended.increment(by: state.eventsCounted)
            state.eventsCounted = 0
        }
        for level in LogLevel.allCases {
            state.steps[level.rank - 1].flush {
                Counter(label: "workflow_steps_logged_total", dimensions: [("level", level.description)])
            }
        }
        for position in state.dirtyTypes {
            Self.flushCounts(of: &state.types[position])
        }
        state.dirtyTypes.removeAll(keepingCapacity: true)
        for duration in state.durations {
            if let timer = state.types[duration.type].jobs[duration.job].timers[duration.outcome.rawValue] {
                timer.recordMilliseconds(duration.milliseconds)
                continue
            }
            let labels = Self.attemptLabels(
                type: state.types[duration.type].type, job: state.types[duration.type].jobs[duration.job].name, outcome: duration.outcome
            )
            let timer = Timer(label: "workflow_job_attempt_seconds", dimensions: labels)
            state.types[duration.type].jobs[duration.job].timers[duration.outcome.rawValue] = timer
            timer.recordMilliseconds(duration.milliseconds)
        }
        state.durations.removeAll(keepingCapacity: true)
    }

    /// Hands one type's counts to swift-metrics.
    private static func flushCounts(of metrics: inout TypeMetrics) {
        let type = metrics.type
        metrics.isDirty = false
        metrics.started.flush { Counter(label: "workflow_workflows_started_total", dimensions: [("workflow_type", type)]) }
        metrics.retried.flush { Counter(label: "workflow_workflows_retried_total", dimensions: [("workflow_type", type)]) }
        for status in FinishedStatus.allCases {
            metrics.finished[status.rawValue].flush {
                Counter(label: "workflow_workflows_finished_total", dimensions: [("workflow_type", type), ("status", status.label)])
            }
        }
        for position in metrics.jobs.indices {
            let job = metrics.jobs[position].name
            for outcome in Outcome.allCases {
                metrics.jobs[position].attempts[outcome.rawValue].flush {
                    Counter(label: "workflow_job_attempts_total", dimensions: attemptLabels(type: type, job: job, outcome: outcome))
                }
            }
            metrics.jobs[position].retries.flush {
                Counter(label: "workflow_job_retries_total", dimensions: [("workflow_type", type), ("job", job)])
            }
        }
    }

    /// The labels of an attempt's counter and timer.
    private static func attemptLabels(type: String, job: String, outcome: Outcome) -> [(String, String)] {
        [("workflow_type", type), ("job", job), ("outcome", outcome.label)]
    }
}
