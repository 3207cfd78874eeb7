import HeaderFields
import NGHTTP2
import RPCCore

/// How a client reads a call's status from what the server sent, following gRPC's
/// `PROTOCOL-HTTP2.md` and `http-grpc-status-mapping.md`.
extension RPCStatus {
    /// The status carried by trailers, or by the single header block of a Trailers-Only response.
    ///
    /// - `grpc-status` decides the code and `grpc-message` (percent-decoded) the message;
    /// - without `grpc-status`, a non-200 `httpStatus` is mapped with ``init(httpStatus:)``;
    ///   otherwise the status is INTERNAL, as stock clients report it;
    /// - a `grpc-status` that is not a decimal number is INTERNAL; a number outside the 17
    ///   defined codes is UNKNOWN.
    ///
    /// - Parameters:
    ///   - fields: The header block.
    ///   - httpStatus: The response's `:status`, if known.
    init(receivedIn fields: [HeaderField], httpStatus: Int?) {
        var statusValue: String?
        var messageValue: String?
        for field in fields {
            switch field.name {
            case "grpc-status": if statusValue == nil { statusValue = field.value }
            case "grpc-message": if messageValue == nil { messageValue = field.value }
            default: continue
            }
        }
        let message = messageValue.map(GRPCStatusMessage.percentDecode) ?? ""
        guard let statusValue else {
            if let httpStatus, httpStatus != 200 {
                self.init(httpStatus: httpStatus)
            } else {
                self.init(code: .internalError, message: "response ended without grpc-status")
            }
            return
        }
        let utf8 = statusValue.utf8
        guard !utf8.isEmpty, utf8.count <= 9,
              utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let raw = Int(statusValue)
        else {
            self.init(code: .internalError, message: "invalid grpc-status '\(statusValue)'")
            return
        }
        guard let code = Code(rawValue: raw) else {
            self.init(code: .unknown, message: message.isEmpty ? "unknown grpc-status \(raw)" : "unknown grpc-status \(raw): \(message)")
            return
        }
        self.init(code: code, message: message)
    }

    /// The status of a response whose HTTP status is not 200 and that carries no `grpc-status`.
    ///
    /// 400 → INTERNAL, 401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, 404 → UNIMPLEMENTED,
    /// 429, 502, 503, 504 → UNAVAILABLE, anything else → UNKNOWN.
    init(httpStatus: Int) {
        let code: Code
        switch httpStatus {
        case 400: code = .internalError
        case 401: code = .unauthenticated
        case 403: code = .permissionDenied
        case 404: code = .unimplemented
        case 429, 502, 503, 504: code = .unavailable
        default: code = .unknown
        }
        self.init(code: code, message: "unexpected HTTP status \(httpStatus) in a gRPC response")
    }

    /// The status of a stream that closed (RST_STREAM, or GOAWAY before it was processed)
    /// before its status arrived.
    ///
    /// REFUSED_STREAM → UNAVAILABLE (the server did not process it; retrying is safe),
    /// CANCEL → CANCELLED, ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, INADEQUATE_SECURITY →
    /// PERMISSION_DENIED, every other code (NO_ERROR included) → INTERNAL.
    ///
    /// - Parameter errorCode: The HTTP/2 error code the stream closed with.
    init(streamClosedWith errorCode: UInt32) {
        switch errorCode {
        case HTTP2ErrorCodes.refusedStream:
            self.init(code: .unavailable, message: "the server refused the stream (REFUSED_STREAM)")
        case HTTP2ErrorCodes.cancel:
            self.init(code: .cancelled, message: "the server cancelled the stream (RST_STREAM CANCEL)")
        case HTTP2ErrorCodes.enhanceYourCalm:
            self.init(code: .resourceExhausted, message: "the server reset the stream with ENHANCE_YOUR_CALM")
        case HTTP2ErrorCodes.inadequateSecurity:
            self.init(code: .permissionDenied, message: "the server reset the stream with INADEQUATE_SECURITY")
        case HTTP2ErrorCodes.noError:
            self.init(code: .internalError, message: "the stream closed before the call's status arrived")
        default:
            self.init(code: .internalError, message: "the stream was reset with HTTP/2 error code \(errorCode)")
        }
    }
}
