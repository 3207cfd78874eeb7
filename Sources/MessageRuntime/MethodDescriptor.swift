/// One RPC method of a generated service: its path on the wire, how it streams, and the types
/// of its request and response messages.
///
/// Generated code declares one per method, so a method is named by a symbol rather than a
/// string, and a typo is a compile error:
///
/// ```swift
/// router.register(WorkflowV1.WorkflowService.getWorkflow, .unary(getWorkflow))
/// let path = WorkflowV1.WorkflowService.getWorkflow.path  // "/workflow.v1.WorkflowService/GetWorkflow"
/// ```
public struct MethodDescriptor<Request: ProtoMessage, Response: ProtoMessage>: Sendable, Hashable {
    /// The fully qualified service name, e.g. `"workflow.v1.WorkflowService"`.
    public let service: String
    /// The method name, e.g. `"GetWorkflow"`.
    public let name: String
    /// Whether requests, responses or both are streams.
    public let kind: RPCKind
    /// The HTTP/2 `:path` of a call: `/<service>/<method>`.
    public let path: String
    /// The method as data, as ``ServiceDescriptor`` lists it.
    public let info: MethodInfo

    /// Describes a method; generated code is the only caller.
    ///
    /// - Parameters:
    ///   - service: The fully qualified service name.
    ///   - name: The method name.
    ///   - kind: Whether requests, responses or both are streams.
    ///   - requestType: The request's proto name as the `.proto` declares it (the Swift type may
    ///     be a wire-identical message of another package).
    ///   - responseType: The response's proto name, likewise.
    public init(service: String, name: String, kind: RPCKind, requestType: String, responseType: String) {
        self.service = service
        self.name = name
        self.kind = kind
        self.path = "/\(service)/\(name)"
        self.info = MethodInfo(name: name, path: path, kind: kind, requestType: requestType, responseType: responseType)
    }
}

/// A method of a service as data: what ``ServiceDescriptor/methods`` lists.
public struct MethodInfo: Sendable, Hashable {
    /// The method name, e.g. `"WatchLogs"`.
    public let name: String
    /// The HTTP/2 `:path` of a call.
    public let path: String
    /// Whether requests, responses or both are streams.
    public let kind: RPCKind
    /// The fully qualified proto name of the request message.
    public let requestType: String
    /// The fully qualified proto name of the response message.
    public let responseType: String
}

/// A generated service: its full name and its methods in declaration order.
public struct ServiceDescriptor: Sendable, Hashable {
    /// The fully qualified service name, e.g. `"grpc.health.v1.Health"`.
    public let fullName: String
    /// Every method, in the order the `.proto` declares them.
    public let methods: [MethodInfo]

    /// Describes a service; generated code is the only caller.
    ///
    /// - Parameters:
    ///   - fullName: The fully qualified service name.
    ///   - methods: Every method, in declaration order.
    public init(fullName: String, methods: [MethodInfo]) {
        self.fullName = fullName
        self.methods = methods
    }
}

/// How an RPC streams: the four kinds of gRPC method.
public enum RPCKind: Sendable, Hashable, CaseIterable {
    /// One request, one response.
    case unary
    /// One request, a stream of responses.
    case serverStreaming
    /// A stream of requests, one response.
    case clientStreaming
    /// A stream of requests and a stream of responses.
    case bidirectionalStreaming
}
