/// The request header names that the RPC core treats specially, recognized from their bytes.
///
/// Classifying by length first and comparing bytes avoids a chain of `String` comparisons
/// for every header of every request.
enum RequestHeaderName: Equatable {
    case method
    case path
    case authority
    case contentType
    case timeout
    case encoding
    /// Used by gRPC or HTTP/2 itself, never metadata: other pseudo-headers, `te`,
    /// `grpc-accept-encoding`, `grpc-status`, connection headers…
    case reserved
    /// Custom metadata.
    case custom

    /// Classifies a lowercase header name.
    static func classify(_ name: String) -> RequestHeaderName {
        if let kind = name.utf8.withContiguousStorageIfAvailable(classify) {
            return kind
        }
        return Array(name.utf8).withUnsafeBufferPointer(classify)
    }

    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> RequestHeaderName {
        guard let first = name.first else { return .reserved }
        if first == UInt8(ascii: ":") {
            if ASCII.equals(name, ":path") { return .path }
            if ASCII.equals(name, ":method") { return .method }
            if ASCII.equals(name, ":authority") { return .authority }
            return .reserved
        }
        switch name.count {
        case 2:
            return ASCII.equals(name, "te") ? .reserved : .custom
        case 7:
            return ASCII.equals(name, "upgrade") ? .reserved : .custom
        case 10:
            return ASCII.equals(name, "connection") || ASCII.equals(name, "keep-alive") ? .reserved : .custom
        case 11:
            return ASCII.equals(name, "grpc-status") ? .reserved : .custom
        case 12:
            if ASCII.equals(name, "content-type") { return .contentType }
            if ASCII.equals(name, "grpc-timeout") { return .timeout }
            return ASCII.equals(name, "grpc-message") ? .reserved : .custom
        case 13:
            return ASCII.equals(name, "grpc-encoding") ? .encoding : .custom
        case 16:
            return ASCII.equals(name, "proxy-connection") ? .reserved : .custom
        case 17:
            return ASCII.equals(name, "grpc-message-type") || ASCII.equals(name, "transfer-encoding") ? .reserved : .custom
        case 20:
            return ASCII.equals(name, "grpc-accept-encoding") ? .reserved : .custom
        default:
            return .custom
        }
    }
}
