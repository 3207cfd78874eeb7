import Synchronization
import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("EventLog")
struct EventLogTests {
    private static func event(_ workflowID: String = "wf-a", level: LogLevel = .info, kind: LogEventKind = .stepLogged) -> WorkflowModel.LogEvent {
        WorkflowModel.LogEvent(timestampMs: 0, kind: kind, level: level, message: "m", workflowID: workflowID, workflowType: "T")
    }

    private static func sequences(_ read: EventRead) -> [UInt64]? {
        guard case .events(let events, _) = read else { return nil }
        return events.map(\.sequence)
    }

    @Test("sequences start at 1 and strictly increase; steps carry their event's sequence")
    func sequences() {
        let log = EventLog(retention: 100)
        #expect(log.lastSequence == 0)
        #expect(log.append(Self.event()) == 1)
        var withStep = Self.event()
        withStep.step = Step(id: "s", message: "m", timestampMs: 0)
        #expect(log.append(contentsOf: [Self.event(), withStep, Self.event()]) == 2)

        let read = log.read(after: 0, matching: .all, limit: 10)

        #expect(Self.sequences(read) == [1, 2, 3, 4])
        guard case .events(let events, let scanned) = read else { return }
        #expect(scanned == 4)
        #expect(events[2].step?.sequence == 3)
        #expect(log.lastSequence == 4)
        #expect(log.read(after: 4, matching: .all, limit: 10) == .events([], scannedThrough: 4))
        #expect(Self.sequences(log.read(after: 1, matching: .all, limit: 2)) == [2, 3])
    }

    @Test("events older than the retention are dropped and reported as truncated")
    func retention() {
        let log = EventLog(retention: 5)
        for _ in 0..<12 {
            log.append(Self.event())
        }

        #expect(log.oldestRetainedSequence == 8)
        #expect(log.read(after: 0, matching: .all, limit: 100) == .truncated(oldestRetained: 8))
        #expect(log.read(after: 6, matching: .all, limit: 100) == .truncated(oldestRetained: 8))
        #expect(Self.sequences(log.read(after: 7, matching: .all, limit: 100)) == [8, 9, 10, 11, 12])
        #expect(Self.sequences(log.read(after: 10, matching: .all, limit: 100)) == [11, 12])
        #expect(log.read(after: 50, matching: .all, limit: 100) == .events([], scannedThrough: 50))
    }

    @Test("a read skips non-matching events and reports how far it scanned")
    func scannedThrough() {
        let log = EventLog(retention: 20_000)
        log.append(contentsOf: Array(repeating: Self.event("wf-a"), count: 10_000))
        log.append(Self.event("wf-b"))
        let onlyB = EventFilter(workflowID: "wf-b")

        let first = log.read(after: 0, matching: onlyB, limit: 10)
        #expect(first == .events([], scannedThrough: UInt64(EventLog.scanBudget)))
        let second = log.read(after: UInt64(EventLog.scanBudget), matching: onlyB, limit: 10)
        #expect(Self.sequences(second) == [10_001])
        guard case .events(_, let scanned) = second else { return }
        #expect(scanned == 10_001)
    }

    @Test("filters select one workflow and a minimum level, but always pass terminal events")
    func filters() {
        let log = EventLog(retention: 100)
        log.append(contentsOf: [
            Self.event("wf-a", level: .debug),                              // 1
            Self.event("wf-b", level: .error),                              // 2
            Self.event("wf-a", level: .warn),                               // 3
            Self.event("wf-a", level: .info, kind: .workflowCompleted),     // 4
            Self.event("wf-b", level: .info, kind: .workflowCancelled),     // 5
            Self.event("wf-a", level: .error, kind: .failureNotice),        // 6
        ])

        #expect(Self.sequences(log.read(after: 0, matching: EventFilter(workflowID: "wf-a"), limit: 10)) == [1, 3, 4, 6])
        #expect(Self.sequences(log.read(after: 0, matching: EventFilter(workflowID: "wf-a", minimumLevel: .warn), limit: 10)) == [3, 4, 6])
        #expect(Self.sequences(log.read(after: 0, matching: EventFilter(workflowID: "wf-a", minimumLevel: .error), limit: 10)) == [4, 6])
        #expect(Self.sequences(log.read(after: 0, matching: EventFilter(minimumLevel: .error), limit: 10)) == [2, 4, 5, 6])
        #expect(Self.sequences(log.read(after: 0, matching: EventFilter(workflowID: "", minimumLevel: .debug), limit: 10)) == [1, 2, 3, 4, 5, 6])
    }

    @Test("filtering a real workflow by level still delivers its terminal event")
    func engineFilter() async throws {
        let engine = EngineTesting.makeEngine()
        let (quiet, _) = try await EngineTesting.run(WorkflowRequest(type: "TEST", params: ["step_delay_ms": "0"]), on: engine)
        let (failing, _) = try await EngineTesting.run(
            WorkflowRequest(type: "TEST", params: ["step_delay_ms": "0", "fail_job": "1", "steps": "2"]),
            on: engine
        )

        let quietRead = engine.events.read(after: 0, matching: EventFilter(workflowID: quiet.id, minimumLevel: .error), limit: 1_000)
        let failingRead = engine.events.read(after: 0, matching: EventFilter(workflowID: failing.id, minimumLevel: .warn), limit: 1_000)

        guard case .events(let quietEvents, _) = quietRead, case .events(let failingEvents, _) = failingRead else {
            Issue.record("unexpected truncation")
            return
        }
        #expect(quietEvents.map(\.kind) == [.workflowCompleted])
        #expect(failingEvents.map(\.kind) == [.stepLogged, .jobFailed, .jobCancelled, .jobCancelled, .failureNotice, .workflowFailed])
        #expect(failingEvents.allSatisfy { $0.workflowID == failing.id && $0.level >= .warn })
    }

    @Test("notifyOnAppend fires once after the next append, or refuses when newer events exist")
    func waiters() {
        let log = EventLog(retention: 10)
        let fired = Box(0)
        log.append(Self.event())

        #expect(log.notifyOnAppend(after: 0) { fired.update { $0 += 1 } } == nil)
        let waiter = log.notifyOnAppend(after: 1) { fired.update { $0 += 1 } }
        #expect(waiter != nil)
        #expect(log.waiterCount == 1)
        log.append(Self.event())
        log.append(Self.event())
        #expect(fired.current == 1)
        #expect(log.waiterCount == 0)

        let cancelled = try! #require(log.notifyOnAppend(after: 3) { fired.update { $0 += 100 } })
        log.cancel(cancelled)
        #expect(log.waiterCount == 0)
        log.append(Self.event())
        #expect(fired.current == 1)
        log.cancel(cancelled)
    }

    @Test("a callback may read and register again from inside the notification")
    func reentrantCallback() {
        let log = EventLog(retention: 10)
        let seen = Box<[UInt64]>([])
        let waiter = log.notifyOnAppend(after: 0) {
            if case .events(let events, _) = log.read(after: 0, matching: .all, limit: 10) {
                seen.update { $0 = events.map(\.sequence) }
            }
            _ = log.notifyOnAppend(after: 1) {}
        }
        #expect(waiter != nil)

        log.append(Self.event())

        #expect(seen.current == [1])
        #expect(log.waiterCount == 1)
    }

    @Test("a reader that replays and then follows sees every event exactly once")
    func replayThenFollow() async throws {
        let engine = EngineTesting.makeEngine()
        let params = ["jobs": "4", "steps": "1500", "step_delay_ms": "0"]
        let first = try await engine.start(WorkflowRequest(type: "TEST", params: params)).value
        let second = try await engine.start(WorkflowRequest(type: "TEST", params: params)).value
        let log = engine.events

        // Read in small pages while both workflows append, then wait through notifyOnAppend.
        var collected: [WorkflowModel.LogEvent] = []
        var cursor: UInt64 = 0
        var finished = Set<String>()
        var waits = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while finished.count < 2 {
            switch log.read(after: cursor, matching: .all, limit: 7) {
            case .truncated(let oldest):
                Issue.record("truncated at \(oldest)")
                return
            case .unavailable(let reason):
                Issue.record("unavailable: \(reason)")
                return
            case .events(let events, let scannedThrough):
                collected.append(contentsOf: events)
                finished.formUnion(events.filter(\.isTerminalWorkflowEvent).map(\.workflowID))
                cursor = scannedThrough
                if !events.isEmpty {
                    continue
                }
            }
            waits += 1
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, await EngineTesting.waitForAppend(log, after: cursor, timeout: remaining) else {
                Issue.record("workflows did not finish in time")
                return
            }
        }

        #expect(finished == [first.id, second.id])
        #expect(collected.map(\.sequence) == Array(1...cursor))
        // Paging again from the start yields the very same events.
        var again: [WorkflowModel.LogEvent] = []
        while case .events(let events, let scannedThrough) = log.read(after: again.last?.sequence ?? 0, matching: .all, limit: 1_000),
              !events.isEmpty, scannedThrough <= cursor {
            again.append(contentsOf: events)
        }
        #expect(again.count == collected.count)
        #expect(again == collected, "replayed events differ from the followed ones")
        #expect(collected.filter { $0.kind == .stepLogged }.count == 2 * 4 * 1_500)
        #expect(log.waiterCount == 0)
        #expect(waits > 0)
    }
}
