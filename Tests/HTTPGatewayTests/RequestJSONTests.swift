import Hummingbird
import MessageRuntime
import RPCCore
import Testing
@testable import HTTPGateway

@Suite struct RequestJSONTests {
    @Test func queryValuesArePercentDecodedAndRepeatedFieldsBecomeArrays() throws {
        let json = try RequestJSON.query("type=IMPORT%20ASSETS&user_id=a+b&statuses=X&page_size=5&x=1&x=2", repeatedFields: ["statuses"])
        #expect(json.value == .object([
            ("type", .string("IMPORT ASSETS")), ("user_id", .string("a b")), ("statuses", .array([.string("X")])),
            ("page_size", .string("5")), ("x", .array([.string("1"), .string("2")])),
        ]))
        #expect(try RequestJSON.query(nil).value == .object([]))
        #expect(throws: RPCStatus.self) { try RequestJSON.query("a=%ZZ") }
        #expect(throws: RPCStatus.self) { try RequestJSON.query("a=%FF") }
    }

    @Test func aBodyMustBeAJSONObjectAndMayBeEmpty() throws {
        #expect(try RequestJSON.body(Array("  \n".utf8)).value == .object([]))
        #expect(try RequestJSON.body(Array(#"{"reason":"x"}"#.utf8)).value == .object([("reason", .string("x"))]))
        let notJSON = #expect(throws: RPCStatus.self) { try RequestJSON.body(Array("{".utf8)) }
        #expect(notJSON?.code == .invalidArgument && notJSON?.message.hasPrefix("the request body is not JSON: byte 1") == true)
        let array = #expect(throws: RPCStatus.self) { try RequestJSON.body(Array("[]".utf8)) }
        #expect(array?.message == "the request body must be a JSON object")
    }

    @Test func aPathFieldMayBeRepeatedOnlyWithTheSameValue() throws {
        var json = try RequestJSON.body(Array(#"{"workflowId":"wf-1"}"#.utf8))
        try json.setPathField("workflow_id", to: "wf-1")
        #expect(json.value == .object([("workflowId", .string("wf-1"))]))
        var other = try RequestJSON.body(Array(#"{"workflow_id":"wf-2"}"#.utf8))
        #expect(throws: RPCStatus.self) { try other.setPathField("workflow_id", to: "wf-1") }
        var empty = RequestJSON()
        try empty.setPathField("workflow_id", to: "wf-3")
        #expect(empty.value == .object([("workflow_id", .string("wf-3"))]))
    }

    @Test func everyStatusCodeMapsToTheHTTPStatusGoogleAPIsUse() {
        let expected: [Int] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]
        #expect(RPCStatus.Code.allCodes.map { $0.httpStatus.code } == expected)
        let body = String(decoding: RPCStatus(code: .notFound, message: "no \"x\"").jsonBody, as: UTF8.self)
        #expect(body == #"{"code":5,"status":"NOT_FOUND","message":"no \"x\""}"#)
    }
}
