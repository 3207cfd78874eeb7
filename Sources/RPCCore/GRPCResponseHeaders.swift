import HeaderFields

/// The header blocks a gRPC server sends: response headers, trailers, and Trailers-Only.
///
/// A normal response is ``head`` (HEADERS), the messages (DATA), then ``trailers(_:metadata:)``
/// (HEADERS with END_STREAM). A call that fails before any message is answered with a single
/// ``trailersOnly(_:metadata:)`` HEADERS frame with END_STREAM.
///
/// Every response advertises `grpc-accept-encoding: identity`, the only message encoding this
/// server accepts, so that a client that sent a compressed request (and got UNIMPLEMENTED)
/// learns what to use instead.
package enum GRPCResponseHeaders {
    /// The response headers of a call without custom initial metadata:
    /// `:status: 200`, `content-type: application/grpc`, `grpc-accept-encoding: identity`.
    package static let head: [HeaderField] = [
        HeaderField(name: ":status", value: "200"),
        HeaderField(name: "content-type", value: GRPCContentType.standard),
        HeaderField(name: "grpc-accept-encoding", value: "identity"),
    ]

    /// The response headers followed by custom initial metadata.
    ///
    /// - Parameter metadata: The initial metadata; reserved names are skipped.
    /// - Returns: ``head`` followed by the metadata's header fields.
    package static func head(metadata: Metadata) -> [HeaderField] {
        if metadata.isEmpty { return head }
        var fields = head
        fields.reserveCapacity(head.count + metadata.count)
        metadata.appendHeaderFields(to: &fields)
        return fields
    }

    /// The trailers that end a response that began with ``head``.
    ///
    /// - Parameters:
    ///   - status: The call's status: `grpc-status` is always sent (even 0), `grpc-message`
    ///     only when the message is not empty, percent-encoded.
    ///   - metadata: Custom trailing metadata; reserved names are skipped.
    /// - Returns: The trailer fields.
    package static func trailers(_ status: RPCStatus, metadata: Metadata = Metadata()) -> [HeaderField] {
        if status == .ok, metadata.isEmpty { return okTrailers }
        var fields: [HeaderField] = []
        fields.reserveCapacity(2 + metadata.count)
        appendStatus(status, to: &fields)
        metadata.appendHeaderFields(to: &fields)
        return fields
    }

    /// The single header block of a Trailers-Only response, sent with END_STREAM.
    ///
    /// `:status: 200`, `content-type: application/grpc`, `grpc-accept-encoding: identity`,
    /// `grpc-status`, `grpc-message` if the message is not empty, then the metadata.
    ///
    /// - Parameters:
    ///   - status: The call's status.
    ///   - metadata: Custom trailing metadata; reserved names are skipped.
    /// - Returns: The header fields.
    package static func trailersOnly(_ status: RPCStatus, metadata: Metadata = Metadata()) -> [HeaderField] {
        var fields = head
        fields.reserveCapacity(head.count + 2 + metadata.count)
        appendStatus(status, to: &fields)
        metadata.appendHeaderFields(to: &fields)
        return fields
    }

    private static let okTrailers = [HeaderField(name: "grpc-status", value: "0")]

    /// `grpc-status` values "0"..."16".
    private static let statusValues: [String] = (0...16).map { String($0) }

    private static func appendStatus(_ status: RPCStatus, to fields: inout [HeaderField]) {
        let code = status.code.rawValue
        let value = code < statusValues.count ? statusValues[code] : String(code)
        fields.append(HeaderField(name: "grpc-status", value: value))
        if !status.message.isEmpty {
            fields.append(HeaderField(name: "grpc-message", value: GRPCStatusMessage.percentEncode(status.message)))
        }
    }
}
