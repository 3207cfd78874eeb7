import HeaderFields
@testable import HTTP2Transport
import NGHTTP2
import RPCCore
import Testing

@Suite("Reading a call's status from a response, without sockets")
struct RPCStatusReceivedTests {
    @Test("grpc-status and a percent-encoded grpc-message")
    func statusAndMessage() {
        let status = RPCStatus(receivedIn: [
            HeaderField(name: ":status", value: "200"),
            HeaderField(name: "grpc-status", value: "5"),
            HeaderField(name: "grpc-message", value: "no %C3%BCber workflow 100%25"),
        ], httpStatus: 200)
        #expect(status == RPCStatus(code: .notFound, message: "no über workflow 100%"))
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "0")], httpStatus: 200) == .ok)
    }

    @Test("a missing grpc-status is INTERNAL, or mapped from a non-200 HTTP status")
    func missingStatus() {
        #expect(RPCStatus(receivedIn: [], httpStatus: 200).code == .internalError)
        #expect(RPCStatus(receivedIn: [], httpStatus: nil).code == .internalError)
        #expect(RPCStatus(receivedIn: [], httpStatus: 404).code == .unimplemented)
        #expect(RPCStatus(receivedIn: [], httpStatus: 503).code == .unavailable)
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "3")], httpStatus: 503).code == .invalidArgument)
    }

    @Test("invalid and unknown grpc-status values")
    func invalidStatus() {
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "abc")], httpStatus: 200).code == .internalError)
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "-1")], httpStatus: 200).code == .internalError)
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "")], httpStatus: 200).code == .internalError)
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "99999999999999999999")], httpStatus: 200).code == .internalError)
        #expect(RPCStatus(receivedIn: [HeaderField(name: "grpc-status", value: "17")], httpStatus: 200).code == .unknown)
    }

    @Test("HTTP statuses map as gRPC's http-grpc-status-mapping says", arguments: [
        (400, RPCStatus.Code.internalError), (401, .unauthenticated), (403, .permissionDenied),
        (404, .unimplemented), (429, .unavailable), (502, .unavailable), (503, .unavailable),
        (504, .unavailable), (415, .unknown), (500, .unknown),
    ])
    func httpStatusMapping(http: Int, code: RPCStatus.Code) {
        #expect(RPCStatus(httpStatus: http).code == code)
    }

    @Test("stream reset codes", arguments: [
        (UInt32(0), RPCStatus.Code.internalError), (1, .internalError), (2, .internalError),
        (7, .unavailable), (8, .cancelled), (11, .resourceExhausted), (12, .permissionDenied),
    ])
    func resetMapping(errorCode: UInt32, code: RPCStatus.Code) {
        #expect(RPCStatus(streamClosedWith: errorCode).code == code)
    }
}
