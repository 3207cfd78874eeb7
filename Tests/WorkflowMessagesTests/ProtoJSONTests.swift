import MessageRuntime
import Testing
import WorkflowMessages

/// The proto3 JSON mapping of the generated messages, and the JSON reader and writer under it.
@Suite("Proto JSON")
struct ProtoJSONTests {
    private func decode<M: ProtoMessage>(_ type: M.Type, _ text: String) throws(JSONDecodingError) -> M {
        try M(protoJSON: JSONValue.parse(Array(text.utf8)))
    }

    private func text(_ message: some ProtoMessage) -> String {
        String(decoding: message.protoJSONBytes(), as: UTF8.self)
    }

    private func failure<M: ProtoMessage>(_ type: M.Type, _ text: String) -> JSONDecodingError? {
        do {
            _ = try decode(type, text)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyFixtureRoundTripsThroughJSON() throws {
        func check<M: ProtoMessage>(_ fixture: M) throws {
            let decoded = try M(protoJSON: JSONValue.parse(fixture.protoJSONBytes()))
            #expect(decoded == fixture, "\(M.protoMessageName)")
        }
        for fixture in Fixtures.all { try check(fixture) }
    }

    @Test func writesProtoNamesDefaultsEnumNamesAnd64BitIntegersAsStrings() {
        let request = WorkflowV1.StartWorkflowRequest(type: "IMPORT_ASSETS", params: ["b": "2", "a": "1"], userID: "u-1")
        #expect(text(request) == #"{"type":"IMPORT_ASSETS","params":{"a":"1","b":"2"},"user_id":"u-1","user_name":"","summary":"","request_id":""}"#)
        let ack = WorkflowV1.ReportAck(lease: nil, sequence: .max)
        #expect(text(ack) == #"{"sequence":"18446744073709551615"}"#)
        let event = WorkflowV1.WatchLogsRequest(workflowID: "wf-1", minLevel: .warn)
        #expect(text(event).contains(#""min_level":"LOG_LEVEL_WARN""#))
    }

    @Test func readsEitherNameFormNumbersAsStringsAndNullAsDefault() throws {
        let request = try decode(WorkflowV1.StartWorkflowRequest.self, #"{"type":"T","userId":"u","request_id":null,"params":{"k":"v"}}"#)
        #expect(request == WorkflowV1.StartWorkflowRequest(type: "T", params: ["k": "v"], userID: "u"))
        let ack = try decode(WorkflowV1.ReportAck.self, #"{"sequence":"18446744073709551615"}"#)
        #expect(ack.sequence == .max)
        let fromNumber = try decode(WorkflowV1.ReportAck.self, #"{"sequence":1e3}"#)
        #expect(fromNumber.sequence == 1000)
        let watch = try decode(WorkflowV1.WatchLogsRequest.self, #"{"min_level":"LOG_LEVEL_ERROR","after_sequence":"7"}"#)
        #expect(watch.minLevel == .error && watch.afterSequence == 7)
        let unknownEnum = try decode(WorkflowV1.WatchLogsRequest.self, #"{"min_level":42}"#)
        #expect(unknownEnum.minLevel.rawValue == 42)
        let numberAsString = try decode(WorkflowV1.WatchLogsRequest.self, #"{"min_level":"4"}"#)
        #expect(numberAsString.minLevel == .error)
    }

    @Test func refusesWhatProtobufRefusesWithThePathOfTheValue() {
        #expect(failure(WorkflowV1.StartWorkflowRequest.self, #"{"typo":"x"}"#)?.description == "typo: workflow.v1.StartWorkflowRequest has no such field")
        #expect(failure(WorkflowV1.StartWorkflowRequest.self, #"{"user_id":"a","userId":"b"}"#)?.description == "userId: the field is given twice")
        #expect(failure(WorkflowV1.StartWorkflowRequest.self, #"{"params":{"k":1}}"#)?.description == "params.k: expected a string, got a number")
        #expect(failure(WorkflowV1.StartWorkflowRequest.self, #"["type"]"#)?.description
            == "expected an object (workflow.v1.StartWorkflowRequest), got an array")
        #expect(failure(WorkflowV1.ReportAck.self, #"{"sequence":-1}"#)?.reason.hasPrefix("-1 is not an integer in 0...") == true)
        #expect(failure(WorkflowV1.ReportAck.self, #"{"sequence":1.5}"#) != nil)
        #expect(failure(WorkflowV1.WatchLogsRequest.self, #"{"min_level":"WARN"}"#)?.reason.hasPrefix("unknown value WARN; expected one of LOG_LEVEL_UNSPECIFIED") == true)
        let bothMembers = #"{"hello":{"name":"w"},"heartbeat":{}}"#
        #expect(failure(WorkflowV1.WorkerMessage.self, bothMembers)?.description == "heartbeat: another field of oneof message is already set")
        let afterNull = #"{"hello":null,"heartbeat":{}}"#
        #expect(failure(WorkflowV1.WorkerMessage.self, afterNull)?.description == "heartbeat: another field of oneof message is already set")
        #expect(failure(WorkflowV1.ProgressReport.self, #"{"progress":"0x10"}"#)?.reason == "0x10 is not a number")
        let nested = #"{"updates":[{"step":{"level":true}}]}"#
        #expect(failure(WorkflowV1.JobReport.self, nested)?.description == "updates[0].step.level: expected an enum value name, got a boolean")
    }

    @Test func parserAcceptsRFC8259AndRefusesTheRest() throws {
        let value = try JSONValue.parse(Array(#" {"a": [1, -2.5e3, true, false, null, "\u00e9\ud83d\ude80\n\"\/"]} "#.utf8))
        #expect(value == .object([("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("é🚀\n\"/")]))]))
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "tru", "{} {}", "\"\\ud800\"", "[1] x", "\"abc"] {
            #expect(throws: JSONDecodingError.self, "\(bad.debugDescription) must not parse") {
                try JSONValue.parse(Array(bad.utf8))
            }
        }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONDecodingError.self) { try JSONValue.parse(Array(deep.utf8)) }
        #expect(throws: JSONDecodingError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func writerEscapesWhatJSONAndJavaScriptNeed() throws {
        var writer = JSONWriter()
        let tricky = "quote\" backslash\\ newline\n tab\t nul\u{00} bell\u{07} sep\u{2028}\u{2029} é🚀"
        writer.string(tricky)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #""quote\" backslash\\ newline\n tab\t nul\u0000 bell\u0007 sep\u2028\u2029 é🚀""#)
        #expect(try JSONValue.parse(writer.bytes) == .string(tricky))
    }

    @Test func bytesAreBase64AndNonFiniteNumbersAreStrings() throws {
        let bytes: [UInt8] = [0, 1, 2, 0xFD, 0xFE, 0xFF, 0x61]
        var writer = JSONWriter()
        ProtoJSON.writeBytes(bytes, to: &writer)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""AAEC/f7/YQ==""#)
        #expect(try ProtoJSON.readBytes(.string("AAEC/f7/YQ=="), at: "") == bytes)
        #expect(try ProtoJSON.readBytes(.string("AAEC_f7_YQ"), at: "") == bytes)
        #expect(throws: JSONDecodingError.self) { try ProtoJSON.readBytes(.string("A*"), at: "") }

        let report = WorkflowV1.ProgressReport(progress: .infinity)
        #expect(text(report).contains(#""progress":"Infinity""#))
        let nan = try decode(WorkflowV1.ProgressReport.self, #"{"progress":"NaN"}"#)
        #expect(nan.progress.isNaN)
        #expect(failure(WorkflowV1.ProgressReport.self, #"{"progress":1e999}"#) != nil)
    }
}
