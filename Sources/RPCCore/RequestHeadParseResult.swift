import HeaderFields

/// The outcome of parsing a request's headers with ``GRPCRequestHead/parse(_:)``.
package enum RequestHeadParseResult: Sendable, Hashable {
    /// A valid gRPC request: route it.
    case rpc(GRPCRequestHead)

    /// Not a gRPC request at all: answer with a plain HTTP response and this body, never
    /// with RST_STREAM.
    ///
    /// - status: The HTTP status: 405 for a method other than POST, 415 for a content-type
    ///   other than `application/grpc…`.
    /// - body: A short text body (always at least 2 bytes, as h2spec expects).
    /// - headers: Every response header except `:status`: `content-type`,
    ///   `content-length`, and `allow: POST` for 405.
    case httpError(status: Int, body: String, headers: [HeaderField])

    /// A gRPC request that must fail at once: answer with
    /// ``GRPCResponseHeaders/trailersOnly(_:metadata:)`` of this status.
    case rpcError(RPCStatus)
}
