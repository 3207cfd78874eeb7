import Testing
import WorkflowModel
@testable import WorkflowStore

@Suite("RecordCodec")
struct RecordCodecTests {
    @Test("an event with every field set round-trips, and so does a bare one")
    func eventRoundTrip() throws {
        let full = LogEvent(
            sequence: 1 << 40, timestampMs: -5, kind: .jobFailed, level: .error, message: "Job Process failed: ü ✓",
            workflowID: "wf-1", workflowType: "TEST", userID: "u-1",
            job: JobRef(id: "wf-1-j2", name: "Process", position: 1),
            step: Step(id: "s", message: "m", level: .warn, entity: EntityReference(tag: "P-101", route: "/assets/1", id: "1", type: "Asset"),
                       timestampMs: 7, sequence: 9, attempt: 3),
            progress: 0.25, progressMessage: "a quarter", workflowStatus: .failed, jobStatus: .cancelled,
            stats: Stats(durationMs: 12, counters: ["itemsProcessed": 3, "itemsFailed": -1]),
            error: "boom", stack: "here", gap: 3...8, attempt: 2
        )
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(full)) == full)
        let bare = LogEvent(timestampMs: 0, kind: .workflowStarted, level: .info, message: "", workflowID: "", workflowType: "")
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(bare)) == bare)
    }

    @Test("truncated or garbage bytes throw instead of decoding something")
    func malformed() {
        let bytes = RecordCodec.encode(LogEvent(timestampMs: 0, kind: .stepLogged, level: .info, message: "hello", workflowID: "w", workflowType: "T"))
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try RecordCodec.decodeEvent(Array(bytes.prefix(length))) }
        }
        #expect(throws: (any Error).self) { try RecordCodec.decodeEvent([UInt8](repeating: 0xFF, count: 40)) }
    }
}
