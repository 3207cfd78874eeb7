import Logging
import Synchronization
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Builds engines and waits on their event logs for the tests.
enum EngineTesting {
    /// A logger that discards everything.
    static let logger = Logger(label: "workflow-engine-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An engine with the built-in templates plus `extra`.
    static func makeEngine(
        _ extra: [WorkflowTemplate] = [],
        eventRetention: Int = 1_000_000,
        workflowRetention: Int = 100_000,
        executor: (any EngineExecutor)? = nil,
        workerHeartbeatInterval: Duration = .seconds(1)
    ) -> WorkflowEngine {
        var templates = TemplateRegistry.builtIn
        for template in extra {
            templates.register(template)
        }
        return WorkflowEngine(
            templates: templates,
            eventRetention: eventRetention,
            workflowRetention: workflowRetention,
            executor: executor,
            workerHeartbeatInterval: workerHeartbeatInterval,
            logger: logger
        )
    }

    /// Waits until an event newer than `sequence` exists in `log`, using the log's own
    /// notification; returns `false` if none arrived within `timeout`.
    static func waitForAppend(_ log: EventLog, after sequence: UInt64, timeout: Duration) async -> Bool {
        let gate = Gate()
        return await withCheckedContinuation { continuation in
            gate.install(continuation)
            guard let waiter = log.notifyOnAppend(after: sequence, { gate.open(true) }) else {
                gate.open(true)
                return
            }
            gate.setTimer(Task {
                try? await Task.sleep(for: timeout)
                log.cancel(waiter)
                gate.open(false)
            })
        }
    }

    /// Waits (bounded) until the workflow leaves RUNNING and returns it.
    static func settled(_ id: String, in engine: WorkflowEngine, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Workflow {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let workflow = try await engine.workflow(id: id)
            if workflow.status != .running { return workflow }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("workflow \(id) still running", sourceLocation: sourceLocation)
        return try await engine.workflow(id: id)
    }

    /// Follows `log` from the start, returning every event of workflow `id` up to and
    /// including its terminal event. Records an issue and returns what it has after `timeout`.
    static func eventsUntilTerminal(
        of id: String,
        in log: EventLog,
        timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [WorkflowModel.LogEvent] {
        let deadline = ContinuousClock.now + timeout
        let filter = EventFilter(workflowID: id)
        var collected: [WorkflowModel.LogEvent] = []
        var cursor: UInt64 = 0
        while true {
            switch log.read(after: cursor, matching: filter, limit: 1_000) {
            case .truncated(let oldest):
                Issue.record("Events truncated before \(oldest)", sourceLocation: sourceLocation)
                return collected
            case .unavailable(let reason):
                Issue.record("Events unavailable: \(reason)", sourceLocation: sourceLocation)
                return collected
            case .events(let events, let scannedThrough):
                collected.append(contentsOf: events)
                cursor = scannedThrough
                if collected.last?.isTerminalWorkflowEvent == true {
                    return collected
                }
                if !events.isEmpty {
                    continue
                }
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, await waitForAppend(log, after: cursor, timeout: remaining) else {
                Issue.record("Workflow \(id) did not finish in time", sourceLocation: sourceLocation)
                return collected
            }
        }
    }

    /// Starts `request` and waits for the workflow to finish; returns its final tree and events.
    /// Polls workflow `id` until `condition` holds and returns it; records an issue and returns
    /// it as it is after `timeout`.
    @discardableResult
    static func waitUntil(
        _ id: String,
        in engine: WorkflowEngine,
        timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (Workflow) -> Bool
    ) async throws -> Workflow {
        let deadline = ContinuousClock.now + timeout
        while true {
            let workflow = try await engine.workflow(id: id)
            if condition(workflow) { return workflow }
            guard ContinuousClock.now < deadline else {
                Issue.record("Workflow \(id) did not reach the awaited state in time", sourceLocation: sourceLocation)
                return workflow
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    static func run(
        _ request: WorkflowRequest,
        on engine: WorkflowEngine,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (Workflow, [WorkflowModel.LogEvent]) {
        let started = try await engine.start(request).value
        let events = await eventsUntilTerminal(of: started.id, in: engine.events, sourceLocation: sourceLocation)
        let finished = try await engine.workflow(id: started.id)
        return (finished, events)
    }
}

/// Resumes a continuation exactly once, from whichever of a notification or a timer is first.
final class Gate: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, Never>?
        var result: Bool?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Bool, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let cancel = state.withLock { state -> Bool in
            guard state.result == nil else { return true }
            state.timer = timer
            return false
        }
        if cancel {
            timer.cancel()
        }
    }

    func open(_ value: Bool) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Task<Void, Never>?) in
            guard state.result == nil else { return (nil, nil) }
            state.result = value
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(returning: value)
    }
}

/// A value shared between a job function and a test.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func update<R: Sendable>(_ body: (inout Value) -> R) -> R {
        value.withLock { body(&$0) }
    }

    var current: Value {
        value.withLock { $0 }
    }
}

extension Array where Element == WorkflowModel.LogEvent {
    /// The events of `kind`.
    func of(_ kind: LogEventKind) -> [WorkflowModel.LogEvent] {
        filter { $0.kind == kind }
    }

    /// The first event of `kind` about the job at `position`.
    func first(_ kind: LogEventKind, position: Int) -> WorkflowModel.LogEvent? {
        first { $0.kind == kind && $0.job?.position == position }
    }
}
