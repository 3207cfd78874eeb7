import Hummingbird
import MessageRuntime
import RPCCore

extension RPCStatus.Code {
    /// The HTTP status a JSON caller gets for this code: google.rpc's mapping, the one
    /// grpc-gateway and Envoy's transcoder use.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .ok: .ok
        case .cancelled: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
        case .invalidArgument, .failedPrecondition, .outOfRange: .badRequest
        case .deadlineExceeded: .gatewayTimeout
        case .notFound: .notFound
        case .alreadyExists, .aborted: .conflict
        case .permissionDenied: .forbidden
        case .unauthenticated: .unauthorized
        case .resourceExhausted: .tooManyRequests
        case .unimplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }
}

extension RPCStatus {
    /// The JSON body of an error answer: `{"code": 5, "status": "NOT_FOUND", "message": "…"}`
    /// (google.rpc.Status's JSON, with the code's name added).
    var jsonBody: [UInt8] {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.bytes
    }

    /// Writes the status as a JSON object.
    func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.name("code")
        writer.raw(String(code.rawValue))
        writer.name("status")
        writer.string(code.description)
        writer.name("message")
        writer.string(message)
        writer.endObject()
    }
}
