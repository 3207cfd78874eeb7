import HeaderFields
import Testing
import RPCCore
import WorkflowMessages

@Suite struct GRPCRequestHeadTests {
    /// The method `base` calls: its `:path` stays a raw header value, as a client sends it.
    static let startWorkflow = WorkflowV1.WorkflowService.startWorkflow
    static let base: [(String, String)] = [
        (":method", "POST"), (":scheme", "http"), (":path", "/workflow.v1.WorkflowService/StartWorkflow"),
        (":authority", "localhost:50051"), ("content-type", "application/grpc"), ("te", "trailers"),
    ]

    /// The base request with `changes` applied: a nil value removes the field, others replace or add it.
    func headers(_ changes: [(String, String?)] = []) -> [HeaderField] {
        var fields = Self.base.map { HeaderField(name: $0.0, value: $0.1) }
        for (name, value) in changes {
            if let index = fields.firstIndex(where: { $0.name == name }) {
                if let value { fields[index].value = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append(HeaderField(name: name, value: value))
            }
        }
        return fields
    }

    func head(_ changes: [(String, String?)] = []) throws -> GRPCRequestHead {
        guard case .rpc(let head) = GRPCRequestHead.parse(headers(changes)) else {
            Issue.record("expected .rpc, got \(GRPCRequestHead.parse(headers(changes)))")
            throw RPCStatus(code: .unknown)
        }
        return head
    }

    func rpcError(_ changes: [(String, String?)]) -> RPCStatus? {
        guard case .rpcError(let status) = GRPCRequestHead.parse(headers(changes)) else { return nil }
        return status
    }

    @Test func parsesAValidRequest() throws {
        let head = try head([
            ("grpc-timeout", "250m"), ("user-agent", "grpc-go/1.60"), ("x-request-id", "abc"),
            ("trace-bin", "AQI"), ("grpc-accept-encoding", "identity,gzip"), ("grpc-encoding", "identity"),
        ])
        #expect(head.path == Self.startWorkflow.path)
        #expect(head.service == Self.startWorkflow.service)
        #expect(head.method == Self.startWorkflow.name)
        #expect(head.timeout == .milliseconds(250))
        #expect(head.encoding == "identity")
        #expect(head.authority == "localhost:50051")
        #expect(head.metadata.map(\.name) == ["user-agent", "x-request-id", "trace-bin"])
        #expect(head.metadata.firstString(forKey: "user-agent") == "grpc-go/1.60")
        #expect(head.metadata[binaryValues: "trace-bin"] == [[1, 2]])
    }

    @Test func minimalRequestHasNoTimeoutOrMetadata() throws {
        let head = try head([("te", nil), (":authority", nil)])
        #expect(head.timeout == nil)
        #expect(head.encoding == nil)
        #expect(head.authority == nil)
        #expect(head.metadata.isEmpty)
    }

    @Test(arguments: [
        "application/grpc", "application/grpc+proto", "application/grpc+json", "application/grpc;charset=utf-8",
        "Application/GRPC+Proto",
    ])
    func acceptsGRPCContentTypes(contentType: String) throws {
        _ = try head([("content-type", contentType)])
    }

    @Test(arguments: ["GET", "PUT", "HEAD", "post", nil] as [String?])
    func nonPostIs405(method: String?) throws {
        guard case .httpError(let status, let body, let headers) = GRPCRequestHead.parse(headers([(":method", method)])) else {
            Issue.record("expected .httpError")
            return
        }
        #expect(status == 405)
        #expect(body.utf8.count >= 2)
        #expect(headers.contains(HeaderField(name: "allow", value: "POST")))
        #expect(headers.contains { $0.name == "content-type" && $0.value.hasPrefix("text/plain") })
        #expect(headers.contains(HeaderField(name: "content-length", value: String(body.utf8.count))))
        #expect(!headers.contains { $0.name.hasPrefix(":") })
    }

    @Test(arguments: [
        "text/html", "application/json", "application/grpc-web", "application/grpc-web+proto",
        "application/grp", "application/grpcx", "", nil,
    ] as [String?])
    func wrongContentTypeIs415(contentType: String?) throws {
        guard case .httpError(let status, let body, let headers) = GRPCRequestHead.parse(headers([("content-type", contentType)])) else {
            Issue.record("expected .httpError")
            return
        }
        #expect(status == 415)
        #expect(body.contains("application/grpc"))
        #expect(body.utf8.count >= 2)
        #expect(headers.contains { $0.name == "content-type" && $0.value.hasPrefix("text/plain") })
        #expect(!headers.contains { $0.name == "allow" })
    }

    @Test func methodIsCheckedBeforeContentType() {
        guard case .httpError(let status, _, _) = GRPCRequestHead.parse(headers([(":method", "GET"), ("content-type", "text/html")])) else {
            Issue.record("expected .httpError")
            return
        }
        #expect(status == 405)
    }

    @Test(arguments: ["/", "//", "/Service", "/Service/", "//Method", "Service/Method", "/a/b/c", "", "/a//b"])
    func malformedPathIsUnimplemented(path: String) throws {
        let status = try #require(rpcError([(":path", path)]))
        #expect(status.code == .unimplemented)
        #expect(status.message.hasPrefix("malformed method path"))
    }

    @Test func missingPathIsUnimplemented() throws {
        let status = try #require(rpcError([(":path", nil)]))
        #expect(status.code == .unimplemented)
    }

    @Test(arguments: ["", "1", "123456789S", "1s", "-1S", " 1S", "1 S", "1.0S"])
    func badTimeoutIsInternal(timeout: String) throws {
        let status = try #require(rpcError([("grpc-timeout", timeout)]))
        #expect(status == RPCStatus(code: .internalError, message: "invalid grpc-timeout: '\(timeout)'"))
    }

    @Test(arguments: ["gzip", "deflate", "snappy", "identity,gzip"])
    func unsupportedEncodingIsUnimplemented(encoding: String) throws {
        let status = try #require(rpcError([("grpc-encoding", encoding)]))
        #expect(status == RPCStatus(code: .unimplemented, message: "grpc-encoding '\(encoding)' is not supported"))
        let response = GRPCResponseHeaders.trailersOnly(status)
        #expect(response.contains(HeaderField(name: "grpc-accept-encoding", value: "identity")))
        #expect(response.contains(HeaderField(name: "grpc-status", value: "12")))
    }

    @Test(arguments: ["identity", "Identity", ""])
    func identityEncodingIsAccepted(encoding: String) throws {
        _ = try head([("grpc-encoding", encoding)])
    }

    @Test func invalidBinaryMetadataIsInternal() throws {
        let status = try #require(rpcError([("trace-bin", "not base64!")]))
        #expect(status.code == .internalError)
        #expect(status.message.contains("trace-bin"))
    }

    @Test func reservedHeadersAreNotMetadata() throws {
        let head = try head([
            ("grpc-timeout", "1S"), ("grpc-accept-encoding", "gzip"), ("grpc-message-type", "x"),
            ("grpc-status", "0"), ("grpc-message", "hi"), (":unknown-pseudo", "x"), ("custom", "kept"),
        ])
        #expect(head.metadata.map(\.name) == ["custom"])
    }

    @Test func firstOccurrenceOfARepeatedFieldWins() throws {
        var fields = headers()
        fields.append(HeaderField(name: ":path", value: "/Other/Method"))
        fields.append(HeaderField(name: "content-type", value: "text/html"))
        guard case .rpc(let head) = GRPCRequestHead.parse(fields) else {
            Issue.record("expected .rpc")
            return
        }
        #expect(head.method == Self.startWorkflow.name)
    }

    @Test func repeatedMetadataIsKeptInOrder() throws {
        var fields = headers()
        fields += [HeaderField(name: "x-tag", value: "a"), HeaderField(name: "x-tag", value: "b")]
        guard case .rpc(let head) = GRPCRequestHead.parse(fields) else {
            Issue.record("expected .rpc")
            return
        }
        #expect(head.metadata[stringValues: "x-tag"] == ["a", "b"])
    }

    @Test func directInitializerValidatesThePath() throws {
        let head = try #require(GRPCRequestHead(path: "/pkg.Svc/Do", timeout: .seconds(1)))
        #expect(head.service == "pkg.Svc")
        #expect(head.method == "Do")
        #expect(GRPCRequestHead(path: "/pkg.Svc") == nil)
    }

    @Test func nonASCIIPathPartsAreSplitOnBytes() throws {
        let head = try #require(GRPCRequestHead(path: "/s\u{301}/\u{301}m"))
        #expect(head.service == "s\u{301}")
        #expect(head.method == "\u{301}m")
    }
}
