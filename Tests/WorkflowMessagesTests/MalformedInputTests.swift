import Testing
import WorkflowMessages

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Decodes `bytes` as `M`: either it fails with a `MessageDecodingError` naming `M`, or it
/// succeeds and re-encoding the result is stable. Never crashes.
@discardableResult
func decodeOrReject<M: ProtoMessage>(
    _: M.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) -> M? {
    do {
        let value = try M(serializedBytes: bytes)
        let again = try? M(serializedBytes: value.serializedBytes())
        #expect(again == value, "re-encoding a decoded value changed it", sourceLocation: sourceLocation)
        return value
    } catch {
        #expect(error.messageName == M.protoMessageName, sourceLocation: sourceLocation)
        #expect(error.byteCount == bytes.count, sourceLocation: sourceLocation)
        return nil
    }
}

@Suite("Malformed input")
struct MalformedInputTests {
    /// Inputs that are invalid for every message, whatever its fields.
    static let invalidForAll: [(String, [UInt8])] = [
        ("truncated varint value", [0x08, 0xFF]),
        ("truncated tag", [0xFF]),
        ("varint longer than 10 bytes", [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01]),
        ("length past the end", [0x0A, 0x05, 0x41]),
        ("huge length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x41]),
        ("wire type 6", [0x0E]),
        ("wire type 7", [0x0F, 0x00]),
        ("field number 0", [0x00, 0x01]),
        ("end group without start", [0x0C]),
        ("truncated fixed64", [0x79, 0x01, 0x02]),
        ("truncated fixed32", [0x7D, 0x01]),
    ]

    @Test("Invalid for every message", arguments: Fixtures.types)
    func invalidForEveryMessage(_ type: any ProtoMessage.Type) {
        func check<M: ProtoMessage>(_: M.Type) {
            for (name, bytes) in Self.invalidForAll {
                let expected = MessageDecodingError(messageName: M.protoMessageName, byteCount: bytes.count)
                #expect(throws: expected, "\(name)") {
                    try M(serializedBytes: bytes)
                }
            }
        }
        check(type)
    }

    @Test func wrongWireTypeForKnownFields() {
        // Field 1 is a string: a varint there is an error.
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.Workflow(serializedBytes: [0x08, 0x01]) }
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.GetWorkflowRequest(serializedBytes: [0x08, 0x01]) }
        // LogEvent field 1 is a uint64: length-delimited there is an error.
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.LogEvent(serializedBytes: [0x0A, 0x01, 0x00]) }
        // Job field 5 (steps) is a message: a fixed32 there is an error.
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.Job(serializedBytes: [0x2D, 0, 0, 0, 0]) }
        // New messages: string fields holding varints, enum and int fields holding strings.
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.RetryWorkflowRequest(serializedBytes: [0x08, 0x01]) }
        #expect(throws: MessageDecodingError.self) {
            try WorkflowV1.RetryWorkflowResponse(serializedBytes: [0x1A, 0x01, 0x00])  // attempt (3)
        }
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.CancelWorkflowRequest(serializedBytes: [0x10, 0x01]) }
        #expect(throws: MessageDecodingError.self) {
            try WorkflowV1.CancelWorkflowResponse(serializedBytes: [0x12, 0x01, 0x00])  // status (2)
        }
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.ListWorkflowsResponse(serializedBytes: [0x08, 0x01]) }
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x10, 0x01]) }
        // ListWorkflowsRequest.statuses (1): a fixed32 is neither packed nor a varint.
        #expect(throws: MessageDecodingError.self) {
            try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x0D, 0, 0, 0, 0])
        }
    }

    @Test func malformedPackedStatuses() {
        // A packed statuses field whose last varint is cut short by its own length.
        #expect(throws: MessageDecodingError(messageName: "workflow.v1.ListWorkflowsRequest", byteCount: 4)) {
            try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x0A, 0x02, 0x01, 0xFF])
        }
        // A packed length past the end.
        #expect(throws: MessageDecodingError.self) {
            try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x0A, 0x05, 0x01, 0x02])
        }
        // A workflow inside a list response whose job is cut short.
        var bytes = WorkflowV1.ListWorkflowsResponse(
            workflows: [WorkflowV1.Workflow(jobs: [WorkflowV1.Job(id: "x")])]).serializedBytes()
        bytes[bytes.count - 2] = 0x7F
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.ListWorkflowsResponse(serializedBytes: bytes) }
    }

    @Test func everyTruncationAndBitFlipOfAListResponse() {
        let request = Fixtures.listWorkflowsRequest.serializedBytes()
        for length in 0..<request.count {
            decodeOrReject(WorkflowV1.ListWorkflowsRequest.self, Array(request[..<length]))
        }
        let bytes = WorkflowV1.ListWorkflowsResponse(
            workflows: [Fixtures.workflowSummary, Fixtures.workflowSummary], nextPageToken: "next").serializedBytes()
        for length in 0..<bytes.count {
            decodeOrReject(WorkflowV1.ListWorkflowsResponse.self, Array(bytes[..<length]))
        }
        for data in [request, bytes] {
            for index in data.indices {
                for bit in [0, 3, 7] {
                    var flipped = data
                    flipped[index] ^= 1 << bit
                    decodeOrReject(WorkflowV1.ListWorkflowsRequest.self, flipped)
                    decodeOrReject(WorkflowV1.ListWorkflowsResponse.self, flipped)
                }
            }
        }
    }

    @Test func malformedNestedMessage() {
        // Step.entity (field 4) holding a truncated varint.
        #expect(throws: MessageDecodingError(messageName: "workflow.v1.Step", byteCount: 4)) {
            try WorkflowV1.Step(serializedBytes: [0x22, 0x02, 0x08, 0xFF])
        }
        // A job inside a workflow whose step is cut short.
        var bytes = WorkflowV1.Workflow(jobs: [WorkflowV1.Job(steps: [WorkflowV1.Step(id: "x")])]).serializedBytes()
        bytes[bytes.count - 2] = 0x7F  // the step's id length now runs past every enclosing end
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.Workflow(serializedBytes: bytes) }
    }

    @Test func invalidUTF8IsRejectedNamingTheField() throws {
        // proto3 strings are UTF-8: C3 28 (a lead byte without its continuation) and FF are not.
        #expect(throws: MessageDecodingError(messageName: "workflow.v1.GetWorkflowRequest", byteCount: 6, invalidUTF8Field: "workflow.v1.GetWorkflowRequest.workflow_id")) {
            try WorkflowV1.GetWorkflowRequest(serializedBytes: [0x0A, 0x04, 0xC3, 0x28, 0xFF, 0x41])
        }
        // Nested: Step.entity (field 4) holding tag (field 1) = FF.
        let entityTag: [UInt8] = [0x22, 0x03, 0x0A, 0x01, 0xFF]
        #expect(throws: MessageDecodingError(messageName: "workflow.v1.Step", byteCount: 5, invalidUTF8Field: "workflow.v1.EntityRef.tag")) {
            try WorkflowV1.Step(serializedBytes: entityTag)
        }
        // params (field 10) holding the entry {key "k", value FE}.
        let invalidParam: [UInt8] = [0x52, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0xFE]
        #expect(throws: MessageDecodingError(messageName: "workflow.v1.Workflow", byteCount: 8, invalidUTF8Field: "workflow.v1.Workflow.params")) {
            try WorkflowV1.Workflow(serializedBytes: invalidParam)
        }
        // Valid multi-byte UTF-8 still decodes.
        let valid = try WorkflowV1.GetWorkflowRequest(serializedBytes: [0x0A, 0x04, 0xF0, 0x9F, 0x9A, 0x80])
        #expect(valid.workflowID == "🚀")
    }

    @Test func unknownFieldsAreSkipped() throws {
        let unknown: [UInt8] = [
            0xF8, 0x06, 0x96, 0x01,                  // field 111 varint 150
            0xFA, 0x06, 0x03, 0x61, 0x62, 0x63,      // field 111 length-delimited "abc"
            0xFD, 0x06, 1, 2, 3, 4,                  // field 111 fixed32
            0xF9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,      // field 111 fixed64
        ]
        func check<M: ProtoMessage>(_ value: M) throws {
            #expect(try M(serializedBytes: unknown + value.serializedBytes()) == value)
            #expect(try M(serializedBytes: value.serializedBytes() + unknown) == value)
        }
        for value in Fixtures.all { try check(value) }
    }

    @Test func repeatedMapKeyKeepsLastValue() throws {
        // Two Stats.counters entries (field 2) for key "a": 1 then 2.
        let entry1: [UInt8] = [0x12, 0x05, 0x0A, 0x01, 0x61, 0x10, 0x01]
        let entry2: [UInt8] = [0x12, 0x05, 0x0A, 0x01, 0x61, 0x10, 0x02]
        #expect(try WorkflowV1.Stats(serializedBytes: entry1 + entry2).counters == ["a": 2])
    }

    @Test("Random bytes never crash", arguments: Fixtures.types)
    func randomBytes(_ type: any ProtoMessage.Type) {
        func check<M: ProtoMessage>(_: M.Type) {
            var random = SplitMix64(state: UInt64(M.protoMessageName.utf8.count))
            for _ in 0..<3000 {
                let count = Int.random(in: 0...64, using: &random)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                decodeOrReject(M.self, bytes)
            }
        }
        check(type)
    }

    @Test func everyTruncationAndBitFlipOfAWorkflow() {
        let bytes = Fixtures.workflow.serializedBytes()
        for length in 0..<bytes.count {
            decodeOrReject(WorkflowV1.Workflow.self, Array(bytes[..<length]))
        }
        for index in bytes.indices {
            for bit in [0, 3, 7] {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                decodeOrReject(WorkflowV1.Workflow.self, flipped)
            }
        }
    }

    @Test func errorDescriptionNamesTheMessage() {
        let error = MessageDecodingError(messageName: "workflow.v1.Workflow", byteCount: 12)
        #expect(error.description.contains("workflow.v1.Workflow"))
        #expect(error.description.contains("12 bytes"))
    }
}
