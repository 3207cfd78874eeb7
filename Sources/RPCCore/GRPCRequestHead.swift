import HeaderFields

/// What a gRPC request's headers say: the method to call, the deadline, and the metadata.
///
/// The transport parses the HEADERS of every new stream with ``parse(_:)`` and then either
/// routes the call or sends the answer the parse result asks for.
///
/// ```swift
/// switch GRPCRequestHead.parse(fields) {
/// case .rpc(let head):
///     route(head.path, timeout: head.timeout, metadata: head.metadata)
/// case .httpError(let status, let body, let headers):
///     respond(status: status, headers: headers, body: body)
/// case .rpcError(let status):
///     respond(headers: GRPCResponseHeaders.trailersOnly(status), endStream: true)
/// }
/// ```
package struct GRPCRequestHead: Sendable, Hashable {
    /// The method path, `/<service>/<method>`, such as `/workflow.v1.WorkflowService/StartWorkflow`.
    package let path: String

    /// The index of the `/` between service and method in ``path``.
    private let separator: String.Index

    /// The client's timeout from `grpc-timeout`, or nil if it sent none.
    package var timeout: Duration?

    /// The custom metadata: every request header that gRPC and HTTP/2 do not use themselves,
    /// with `-bin` values decoded.
    package var metadata: Metadata

    /// The `grpc-encoding` of the request messages: nil when absent (or empty), else
    /// `identity`, the only encoding this server accepts.
    package var encoding: String?

    /// The `:authority` pseudo-header (the host the client addressed), if present.
    package var authority: String?

    /// The fully qualified service name, such as `workflow.v1.WorkflowService`.
    package var service: Substring {
        Substring(path.utf8[path.utf8.index(after: path.startIndex)..<separator])
    }

    /// The method name, such as `Start`.
    package var method: Substring {
        Substring(path.utf8[path.utf8.index(after: separator)...])
    }

    /// Creates a request head, for example for a call that does not come from HTTP/2.
    ///
    /// - Parameters:
    ///   - path: The method path, `/<service>/<method>` with both parts non-empty and no
    ///     further `/`.
    ///   - timeout: The client's timeout, if any.
    ///   - metadata: The custom metadata.
    ///   - encoding: The message encoding; nil or `identity`.
    ///   - authority: The `:authority`, if any.
    /// - Returns: nil if `path` is malformed.
    package init?(
        path: String,
        timeout: Duration? = nil,
        metadata: Metadata = Metadata(),
        encoding: String? = nil,
        authority: String? = nil
    ) {
        guard let separator = Self.methodSeparator(in: path) else { return nil }
        self.path = path
        self.separator = separator
        self.timeout = timeout
        self.metadata = metadata
        self.encoding = encoding
        self.authority = authority
    }

    /// Parses the header fields of a new request stream.
    ///
    /// Checks, in this order:
    /// 1. `:method` must be POST, else HTTP 405;
    /// 2. `content-type` must be `application/grpc`, optionally followed by `+subtype` or
    ///    `;parameters` (compared without regard to ASCII case), else HTTP 415;
    /// 3. `:path` must be `/<service>/<method>`, else UNIMPLEMENTED;
    /// 4. `grpc-timeout`, if present, must be valid (see ``GRPCTimeout/parse(_:)``), else
    ///    INTERNAL;
    /// 5. `grpc-encoding`, if present, must be `identity`, else UNIMPLEMENTED (the response
    ///    headers advertise `grpc-accept-encoding: identity`);
    /// 6. `-bin` metadata must be valid base64, else INTERNAL.
    ///
    /// A missing `te: trailers` is tolerated: many clients omit it. When a field repeats, the
    /// first one counts.
    ///
    /// - Parameter headers: The request's header fields, with lowercase names.
    /// - Returns: The request head, or the response to send instead.
    package static func parse(_ headers: [HeaderField]) -> RequestHeadParseResult {
        var method: String?
        var path: String?
        var authority: String?
        var contentType: String?
        var timeoutValue: String?
        var encoding: String?
        var metadata = Metadata()
        var metadataError: RPCStatus?

        for field in headers {
            switch RequestHeaderName.classify(field.name) {
            case .method: if method == nil { method = field.value }
            case .path: if path == nil { path = field.value }
            case .authority: if authority == nil { authority = field.value }
            case .contentType: if contentType == nil { contentType = field.value }
            case .timeout: if timeoutValue == nil { timeoutValue = field.value }
            case .encoding: if encoding == nil { encoding = field.value }
            case .reserved: continue
            case .custom:
                guard metadataError == nil else { continue }
                do {
                    try metadata.addReceivedHeader(name: field.name, value: field.value)
                } catch {
                    metadataError = error
                }
            }
        }

        guard method == "POST" else {
            return .httpError(status: 405, body: methodNotAllowedBody, headers: methodNotAllowedHeaders)
        }
        guard let contentType, GRPCContentType.isGRPC(contentType) else {
            return .httpError(status: 415, body: unsupportedMediaTypeBody, headers: unsupportedMediaTypeHeaders)
        }
        guard let path, let separator = methodSeparator(in: path) else {
            let shown = path.map { "'\($0)'" } ?? "(missing :path)"
            return .rpcError(RPCStatus(code: .unimplemented, message: "malformed method path \(shown)"))
        }
        var timeout: Duration?
        if let timeoutValue {
            guard let parsed = GRPCTimeout.parse(timeoutValue) else {
                return .rpcError(RPCStatus(code: .internalError, message: "invalid grpc-timeout: '\(timeoutValue)'"))
            }
            timeout = parsed
        }
        if let encoding, !encoding.isEmpty, !ASCII.equalsIgnoringCase(encoding, "identity") {
            return .rpcError(RPCStatus(code: .unimplemented, message: "grpc-encoding '\(encoding)' is not supported"))
        }
        if let metadataError {
            return .rpcError(metadataError)
        }
        var head = GRPCRequestHead(uncheckedPath: path, separator: separator)
        head.timeout = timeout
        head.metadata = metadata
        head.encoding = encoding == nil || encoding!.isEmpty ? nil : "identity"
        head.authority = authority
        return .rpc(head)
    }

    private init(uncheckedPath path: String, separator: String.Index) {
        self.path = path
        self.separator = separator
        self.metadata = Metadata()
    }

    /// The index of the `/` between service and method, or nil if `path` is not
    /// `/<service>/<method>` with both parts non-empty and no other `/`.
    private static func methodSeparator(in path: String) -> String.Index? {
        let offset: Int? = ASCII.withBytes(path) { bytes in
            guard bytes.count >= 4, bytes[0] == UInt8(ascii: "/") else { return nil }
            var separator = 0
            for index in 1..<bytes.count where bytes[index] == UInt8(ascii: "/") {
                guard separator == 0 else { return nil }  // a third `/`
                separator = index
            }
            guard separator > 1, separator < bytes.count - 1 else { return nil }
            return separator
        }
        return offset.map { path.utf8.index(path.utf8.startIndex, offsetBy: $0) }
    }

    private static let methodNotAllowedBody = "Method Not Allowed: gRPC requests use POST\n"
    private static let methodNotAllowedHeaders = plainTextHeaders(body: methodNotAllowedBody)
        + [HeaderField(name: "allow", value: "POST")]
    private static let unsupportedMediaTypeBody =
        "Unsupported Media Type: this server speaks gRPC (content-type application/grpc)\n"
    private static let unsupportedMediaTypeHeaders = plainTextHeaders(body: unsupportedMediaTypeBody)

    private static func plainTextHeaders(body: String) -> [HeaderField] {
        [
            HeaderField(name: "content-type", value: "text/plain; charset=utf-8"),
            HeaderField(name: "content-length", value: String(body.utf8.count)),
        ]
    }
}
