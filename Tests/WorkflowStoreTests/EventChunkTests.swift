import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowStore

@Suite("EventChunk")
struct EventChunkTests {
    private static let fetch = JobRef(id: "wf-a-j1", name: "Fetch", position: 0)
    private static let process = JobRef(id: "wf-a-j2", name: "Process", position: 1)

    /// The events of `body` as `forEachRecord` finds them, decoded.
    private static func events(in body: [UInt8]) throws -> [WorkflowModel.LogEvent] {
        var events: [WorkflowModel.LogEvent] = []
        try EventChunk.forEachRecord(in: body) { sequence, record in
            let event = try RecordCodec.decodeEvent(body, in: record)
            #expect(event.sequence == sequence)
            events.append(event)
            return true
        }
        return events
    }

    @Test("records read back as the events appended, in order, each with its sequence; steps are counted per workflow and job")
    func roundTrip() throws {
        let appended = [
            SQLiteEventStoreTests.event(7, .jobStarted, workflowID: "wf-a", job: Self.fetch),
            SQLiteEventStoreTests.event(8, workflowID: "wf-a", job: Self.fetch),
            SQLiteEventStoreTests.event(9, workflowID: "wf-b", job: JobRef(id: "wf-b-j1", name: "Fetch", position: 0)),
            SQLiteEventStoreTests.event(10, workflowID: "wf-a", job: Self.fetch),
            SQLiteEventStoreTests.event(11, workflowID: "wf-a", job: Self.process),
            SQLiteEventStoreTests.event(12, .progressUpdated, workflowID: "wf-a"),
        ]
        var chunk = EventChunk()
        for event in appended {
            chunk.append(event)
        }

        #expect(chunk.firstSequence == 7)
        #expect(chunk.lastSequence == 12)
        #expect(chunk.eventCount == 6)
        #expect(try Self.events(in: chunk.body.bytes) == appended)
        #expect(chunk.stepCounts.map { "\($0.job.workflowID)/\($0.job.jobPosition)=\($0.count)" } == ["wf-a/0=2", "wf-b/0=1", "wf-a/1=1"])

        chunk.removeAll()
        #expect(chunk.isEmpty)
        #expect(chunk.body.bytes.isEmpty)
        #expect(chunk.stepCounts.isEmpty)
        chunk.append(appended[1])
        #expect(chunk.firstSequence == 8)
        #expect(chunk.stepCounts.map(\.count) == [1])
    }

    @Test("a record stored before is copied as it is, and counted as a step when it is one")
    func storedRecordIsCopiedAsItIs() throws {
        let step = SQLiteEventStoreTests.event(3, workflowID: "wf-a", job: Self.fetch)
        var chunk = EventChunk()
        chunk.append(record: RecordCodec.encode(step), sequence: 3, stepOf: .init(workflowID: "wf-a", jobPosition: 0))
        #expect(try Self.events(in: chunk.body.bytes) == [step])
        #expect(chunk.stepCounts.map(\.count) == [1])
    }

    @Test("a chunk is full at its most events, or once its body passes its size; a larger event makes a chunk alone")
    func fullness() {
        var chunk = EventChunk()
        for sequence in 1...UInt64(EventChunk.maxEvents - 1) {
            chunk.append(SQLiteEventStoreTests.event(sequence, .progressUpdated))
        }
        #expect(!chunk.isFull)
        chunk.append(SQLiteEventStoreTests.event(UInt64(EventChunk.maxEvents), .progressUpdated))
        #expect(chunk.isFull)

        chunk.removeAll()
        var large = SQLiteEventStoreTests.event(1, .progressUpdated)
        large.message = String(repeating: "x", count: EventChunk.maxBytes)
        chunk.append(large)
        #expect(chunk.isFull)
        #expect(chunk.eventCount == 1)
    }

    @Test("a body that does not divide into records throws; a record's workflow, and whether it is a step, are told from its first fields")
    func malformedAndPeeked() throws {
        var chunk = EventChunk()
        chunk.append(SQLiteEventStoreTests.event(1, workflowID: "wf-a", job: Self.fetch))
        let body = chunk.body.bytes
        #expect(throws: BinaryReader.Malformed.self) {
            try EventChunk.forEachRecord(in: Array(body.dropLast())) { _, _ in true }
        }
        var records: [Range<Int>] = []
        try EventChunk.forEachRecord(in: body) { _, record in
            records.append(record)
            return true
        }
        let record = try #require(records.first)
        #expect(records.count == 1)
        #expect(try RecordCodec.isEvent(body, in: record, ofWorkflow: Array("wf-a".utf8)))
        #expect(try !RecordCodec.isEvent(body, in: record, ofWorkflow: Array("wf-ab".utf8)))
        #expect(try RecordCodec.storedStep(ofEvent: body, in: record, ofWorkflow: Array("wf-a".utf8), jobIDs: [])?.jobPosition == 0)
        #expect(try RecordCodec.storedStep(ofEvent: body, in: record, ofWorkflow: Array("wf-b".utf8), jobIDs: []) == nil)
        let stepID = try #require(try RecordCodec.decodeEvent(body, in: record).step?.id)
        for jobIDs in [[], ["wf-a-j1"], ["wf-a-j9"]] {
            let stored = try RecordCodec.storedStep(ofEvent: body, in: record, ofWorkflow: Array("wf-a".utf8), jobIDs: jobIDs)
            #expect(stored?.step.id == stepID, "the step's id whatever the job ids given: \(jobIDs)")
        }
        #expect(try RecordCodec.workflowID(ofStepEvent: body, in: record) == "wf-a")

        var notStep = EventChunk()
        notStep.append(SQLiteEventStoreTests.event(2, .jobStarted, workflowID: "wf-a", job: Self.fetch))
        let other = notStep.body.bytes
        let otherRecord = 4..<other.count
        #expect(try RecordCodec.workflowID(ofStepEvent: other, in: otherRecord) == nil)
        #expect(try RecordCodec.storedStep(ofEvent: other, in: otherRecord, ofWorkflow: Array("wf-a".utf8), jobIDs: []) == nil)
        #expect(try RecordCodec.isEvent(other, in: otherRecord, ofWorkflow: Array("wf-a".utf8)))
    }
}
