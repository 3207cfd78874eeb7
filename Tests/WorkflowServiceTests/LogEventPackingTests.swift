import Testing
import WorkflowMessages
import WorkflowModel
@testable import WorkflowService
import WorkflowTreePacking

/// `WorkflowTreePacking` packs a log event the way the general path (`WorkflowV1.LogEvent(_:)`,
/// then protoc-c) does, byte for byte.
@Suite("Log events packed from the model")
struct LogEventPackingTests {
    /// An event with every field the wire carries set to something other than its default
    /// (no one kind sets them all, but the wire does not care).
    private static let everyField: LogEvent = {
        var event = LogEvent(
            sequence: 1 << 40, timestampMs: 1_700_000_000_000, kind: .jobFailed, level: .error, message: "Job Fetch failed: ü ✓",
            workflowID: "wf-01JD8Q2M4N5P", workflowType: "IMPORT_ASSETS", userID: "u-42",
            job: JobRef(id: "wf-01JD8Q2M4N5P-j2", name: "Fetch", position: 1),
            step: Step(
                id: StepID(number: 3, ofJob: "wf-01JD8Q2M4N5P-j2"), message: "Created P-101", level: .warn,
                entity: EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "product"),
                timestampMs: 1_700_000_000_001, attempt: 2
            ),
            progress: 0.5, progressMessage: "half way", workflowStatus: .failed, jobStatus: .failed,
            stats: Stats(durationMs: 120, counters: ["itemsProcessed": 2, "itemsFailed": 1]),
            error: "Connection refused", stack: "Fetch.run:40", gap: 3...8, attempt: 2, retryAtMs: 1_700_000_000_500,
            worker: WorkerRef(name: "importer", instanceID: "importer-7f3a")
        )
        event.outputs = ["report": "r.csv", "count": "2"]
        event.actor = "user:ada"
        return event
    }()

    /// Events as the engine makes them: the fields each kind sets and no others.
    private static let usual: [LogEvent] = [
        LogEvent(timestampMs: 1, kind: .workflowStarted, level: .info, message: "Workflow TEST started with 1 jobs", workflowID: "wf-1", workflowType: "TEST"),
        LogEvent(
            sequence: 9, timestampMs: 2, kind: .stepLogged, level: .info, message: "Processed item 1 of 1", workflowID: "wf-1",
            workflowType: "TEST", job: JobRef(id: "wf-1-j1", name: "Fetch", position: 0),
            step: Step(id: StepID(number: 1, ofJob: "wf-1-j1"), message: "Processed item 1 of 1", timestampMs: 2)
        ),
        LogEvent(
            timestampMs: 3, kind: .jobCompleted, level: .info, message: "Job Fetch completed in 0 ms", workflowID: "wf-1",
            workflowType: "TEST", job: JobRef(id: "wf-1-j1", name: "Fetch", position: 0), jobStatus: .completed,
            stats: Stats(durationMs: 0)
        ),
        LogEvent(timestampMs: 0, kind: .gap, level: .warn, message: "", workflowID: "", workflowType: "", gap: 1...1),
        LogEvent(timestampMs: 0, kind: .workflowStarted, level: .debug, message: "", workflowID: "", workflowType: ""),
    ]

    @Test func everyFieldPacksAsTheGeneralPathDoes() throws {
        try expectTheSamePacking(of: Self.everyField)
    }

    @Test(arguments: usual)
    func usualEventsPackAsTheGeneralPathDoes(event: LogEvent) throws {
        try expectTheSamePacking(of: event)
    }

    /// Each enum value maps to its own wire value: a swapped pair would pass the tests above.
    @Test func everyKindLevelAndStatusPacksAsTheGeneralPathDoes() throws {
        let events = Self.variants(LogEventKind.allCases) { $0.kind = $1 }
            + Self.variants(LogLevel.allCases) { $0.level = $1 }
            + Self.variants(WorkflowStatus.allCases) { $0.workflowStatus = $1 }
            + Self.variants(JobStatus.allCases) { $0.jobStatus = $1 }
        for event in events {
            try expectTheSamePacking(of: event)
        }
    }

    /// ``everyField`` once per value, set by `set`.
    private static func variants<Value>(_ values: [Value], _ set: (inout LogEvent, Value) -> Void) -> [LogEvent] {
        values.map { value in
            var event = everyField
            set(&event, value)
            return event
        }
    }

    @Test("appending leaves what was there and adds the event's encoding")
    func appends() {
        var bytes: [UInt8] = [1, 2, 3]
        WorkflowTreePacking.append(Self.everyField, to: &bytes)
        #expect(bytes == [1, 2, 3] + WorkflowTreePacking.bytes(of: Self.everyField))
    }

    /// The comparison above proves nothing for a field the fixture leaves at its default: both
    /// paths would leave it out. A field added to `workflow.v1.LogEvent` fails this until the
    /// fixture sets it, and then the comparison until both paths pack it.
    @Test func theFixtureSetsEveryFieldOfTheMessage() throws {
        let decoded = try WorkflowV1.LogEvent(serializedBytes: WorkflowTreePacking.bytes(of: Self.everyField))
        #expect(WorkflowTreePackingTests.defaultFields(of: decoded, path: "event") == [])
    }

    /// Compares the decoded messages first, whose difference reads better than the bytes'.
    private func expectTheSamePacking(of event: LogEvent) throws {
        let packed = WorkflowTreePacking.bytes(of: event)
        let general = WorkflowV1.LogEvent(event).serializedBytes()
        #expect(try WorkflowV1.LogEvent(serializedBytes: packed) == WorkflowV1.LogEvent(serializedBytes: general))
        #expect(packed.elementsEqual(general), "the same fields in other bytes")
    }
}
