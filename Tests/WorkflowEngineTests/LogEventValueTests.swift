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
