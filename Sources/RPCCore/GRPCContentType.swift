/// The `content-type` of gRPC over HTTP/2, shared by requests and responses.
package enum GRPCContentType {
    /// `application/grpc`: what this package sends (protobuf is implied).
    package static let standard = "application/grpc"

    /// Whether `value` is a gRPC content-type: `application/grpc`, alone or followed by
    /// `+subtype` (such as `+proto`) or `;parameters`, compared without regard to ASCII case.
    ///
    /// It reads the bytes in place and allocates nothing.
    ///
    /// ```swift
    /// GRPCContentType.isGRPC("application/grpc+proto")   // true
    /// GRPCContentType.isGRPC("application/grpc-web")     // false
    /// ```
    ///
    /// - Parameter value: A `content-type` header value.
    /// - Returns: true for a gRPC content-type.
    package static func isGRPC(_ value: String) -> Bool {
        ASCII.withBytes(value) { bytes in
            let prefix: StaticString = "application/grpc"
            guard ASCII.hasPrefixIgnoringCase(bytes, prefix) else { return false }
            let count = prefix.utf8CodeUnitCount
            return bytes.count == count || bytes[count] == UInt8(ascii: "+") || bytes[count] == UInt8(ascii: ";")
        }
    }
}
