import RPCCore
import Testing
import WorkflowMessages
import WorkflowModel
@testable import WorkflowService

@Suite("Encoding caches")
struct EncodingCacheTests {
    private func event(_ sequence: UInt64, _ message: String) -> WorkflowModel.LogEvent {
        LogEvent(
            sequence: sequence, timestampMs: 1_700_000_000_000, kind: .stepLogged, level: .info,
            message: message, workflowID: "wf-1", workflowType: "TEST"
        )
    }

    /// The one message `output` holds, decoded.
    private func decodeOne(_ output: StreamOutput) throws -> WorkflowV1.LogEvent {
        let bytes = output.bytes
        let length = bytes[1 ..< 5].reduce(0) { $0 << 8 | Int($1) }
        #expect(bytes.count == 5 + length)
        return try WorkflowV1.LogEvent(serializedBytes: bytes[5...])
    }

    private func appended(_ event: WorkflowModel.LogEvent, newest: UInt64, cache: EncodedEventCache) throws -> WorkflowV1.LogEvent {
        var output = StreamOutput(budget: 1 << 16)
        cache.append(event, newestSequence: newest, to: &output)
        return try decodeOne(output)
    }

    @Test func aNewEventIsEncodedOnceAndSharedBySequence() throws {
        let cache = EncodedEventCache(capacity: 8)
        #expect(try appended(event(20, "first"), newest: 20, cache: cache).message == "first")
        // A sequence names one event: a second stream gets the bytes encoded first.
        #expect(try appended(event(20, "other"), newest: 20, cache: cache).message == "first")
    }

    @Test func anOldEventIsEncodedForItsStreamAlone() throws {
        let cache = EncodedEventCache(capacity: 8)
        #expect(try appended(event(5, "old"), newest: 20, cache: cache).message == "old")
        #expect(try appended(event(5, "again"), newest: 20, cache: cache).message == "again")
    }

    @Test func aSlotReusedByANewerSequenceNeverAnswersForTheOlderOne() throws {
        let cache = EncodedEventCache(capacity: 8)
        _ = try appended(event(13, "thirteen"), newest: 13, cache: cache)
        _ = try appended(event(21, "twenty-one"), newest: 21, cache: cache)  // 21 % 8 == 13 % 8
        #expect(try appended(event(13, "thirteen, encoded again"), newest: 15, cache: cache).message == "thirteen, encoded again")
        #expect(try appended(event(21, "twenty-one, encoded again"), newest: 21, cache: cache).message == "twenty-one, encoded again")
    }

    @Test func aWorkflowIsReencodedOnlyWhenItsRevisionChanges() {
        let cache = EncodedWorkflowCache(capacity: 4)
        var encodings = 0
        func read(_ id: String, _ revision: UInt64) -> [UInt8] {
            cache.bytes(of: id, revision: revision) {
                encodings += 1
                return Array("\(id)@\(revision)".utf8)
            }
        }
        #expect(read("wf-a", 1) == Array("wf-a@1".utf8))
        #expect(read("wf-a", 1) == Array("wf-a@1".utf8))
        #expect(encodings == 1)
        #expect(read("wf-a", 2) == Array("wf-a@2".utf8))
        #expect(encodings == 2)
    }

    @Test func workflowsSharingASlotEachGetTheirOwnBytes() {
        let cache = EncodedWorkflowCache(capacity: 1)
        for round in 0..<3 {
            for id in ["wf-a", "wf-b", "wf-c"] {
                let bytes = cache.bytes(of: id, revision: UInt64(round)) { Array(id.utf8) }
                #expect(bytes == Array(id.utf8))
            }
        }
    }

    @Test func aLargeWorkflowEncodingIsMadeForEachRead() {
        let cache = EncodedWorkflowCache(capacity: 4)
        var encodings = 0
        for _ in 0..<2 {
            _ = cache.bytes(of: "wf-large", revision: 1) {
                encodings += 1
                return [UInt8](repeating: 1, count: EncodedWorkflowCache.largestCachedEncoding + 1)
            }
        }
        #expect(encodings == 2)
    }
}
