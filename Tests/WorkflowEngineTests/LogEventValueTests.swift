import Testing
import WorkflowModel

/// `LogEvent` keeps most fields in a box its copies share: a copy must still behave as an
/// independent value.
@Suite("LogEvent as a value")
struct LogEventValueTests {
    private static func event() -> LogEvent {
        LogEvent(
            sequence: 7, timestampMs: 1_000, kind: .jobFailed, level: .error, message: "Job Save failed",
            workflowID: "wf-1", workflowType: "IMPORT_ASSETS", userID: "u",
            job: JobRef(id: "wf-1-j1", name: "Save", position: 0), jobStatus: .failed,
            stats: Stats(durationMs: 12, counters: ["itemsFailed": 1]), error: "disk full", stack: "at save()",
            attempt: 2, outputs: ["k": "v"], actor: "alice"
        )
    }

    @Test("changing a copy leaves the original as it was, field by field")
    func copiesAreIndependent() {
        let original = Self.event()
        var copy = original
        copy.message = "changed"
        copy.error = nil
        copy.outputs["k"] = "w"
        copy.job?.name = "Fetch"
        copy.sequence = 8
        copy.progress = 0.5

        #expect(original.message == "Job Save failed")
        #expect(original.error == "disk full")
        #expect(original.outputs == ["k": "v"])
        #expect(original.job?.name == "Save")
        #expect(original.sequence == 7)
        #expect(original.progress == nil)
        #expect(copy.message == "changed" && copy.error == nil && copy.outputs == ["k": "w"])
        #expect(copy.job?.name == "Fetch" && copy.sequence == 8 && copy.progress == 0.5)
        #expect(copy.stack == "at save()" && copy.actor == "alice", "the fields a copy did not change are kept")
        #expect(original == Self.event())
        #expect(copy != original)
    }

    @Test("equal events hash alike, whether they share storage or not; any differing field tells them apart")
    func equalityAndHashing() {
        let first = Self.event()
        let shared = first
        let rebuilt = Self.event()
        #expect(first == shared && first == rebuilt)
        #expect(first.hashValue == rebuilt.hashValue)
        #expect(Set([first, shared, rebuilt]).count == 1)

        var otherActor = first
        otherActor.actor = "bob"
        var otherAttempt = first
        otherAttempt.attempt = 3
        var otherStack = first
        otherStack.stack = nil
        #expect(Set([first, otherActor, otherAttempt, otherStack]).count == 4)
        #expect(Set([first, otherActor, otherAttempt, otherStack].map(\.hashValue)).count == 4, "the box's fields are hashed too")
    }

    @Test("an event whose rarer fields were set and put back to their defaults equals one that never had them")
    func defaultsAreDefaults() {
        let plain = LogEvent(timestampMs: 1, kind: .stepLogged, level: .info, message: "m", workflowID: "wf-1", workflowType: "T")
        var restored = plain
        restored.actor = "alice"
        restored.outputs = ["k": "v"]
        #expect(restored != plain)
        restored.actor = ""
        restored.outputs = [:]
        #expect(restored == plain)
        #expect(restored.hashValue == plain.hashValue)
    }

    @Test("each rarer field given to the initializer alone is kept")
    func eachRareFieldIsKept() {
        func event(
            progress: Double? = nil, progressMessage: String = "", error: String? = nil, stack: String? = nil,
            gap: ClosedRange<UInt64>? = nil, retryAtMs: Int64? = nil, worker: WorkerRef? = nil,
            outputs: [String: String] = [:], actor: String = ""
        ) -> LogEvent {
            LogEvent(
                timestampMs: 1, kind: .jobRetryScheduled, level: .warn, message: "m", workflowID: "wf-1", workflowType: "T",
                progress: progress, progressMessage: progressMessage, error: error, stack: stack, gap: gap,
                retryAtMs: retryAtMs, worker: worker, outputs: outputs, actor: actor
            )
        }
        let plain = event()
        let worker = WorkerRef(name: "importer", instanceID: "host-1")
        let single = [
            event(progress: 0.5), event(progressMessage: "half"), event(error: "e"), event(stack: "s"),
            event(gap: 2...4), event(retryAtMs: 9), event(worker: worker), event(outputs: ["k": "v"]), event(actor: "a"),
        ]
        #expect(single[0].progress == 0.5)
        #expect(single[1].progressMessage == "half")
        #expect(single[2].error == "e")
        #expect(single[3].stack == "s")
        #expect(single[4].gap == 2...4)
        #expect(single[5].retryAtMs == 9)
        #expect(single[6].worker == worker)
        #expect(single[7].outputs == ["k": "v"])
        #expect(single[8].actor == "a")
        #expect(Set(single + [plain]).count == single.count + 1)
    }

    @Test("an event's step carries the event's sequence, whatever sequence the step was given")
    func stepFollowsTheEventSequence() {
        var event = LogEvent(
            timestampMs: 5, kind: .stepLogged, level: .info, message: "Created P-101",
            workflowID: "wf-1", workflowType: "T",
            step: Step(id: "wf-1-j1-s1", message: "Created P-101", timestampMs: 5, sequence: 99)
        )
        #expect(event.step?.sequence == 0)
        let unstamped = event
        event.sequence = 42
        #expect(event.step?.sequence == 42)
        #expect(event.step?.id == "wf-1-j1-s1")
        #expect(unstamped.step?.sequence == 0)

        var withOtherStep = event
        withOtherStep.step = Step(id: "wf-1-j1-s1", message: "Created P-101", timestampMs: 5, sequence: 1)
        #expect(withOtherStep == event, "the step's own sequence is the event's, whatever was set")
    }
}
