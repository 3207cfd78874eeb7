import MessageRuntime

/// Maps method paths (`/package.Service/Method`) to their handlers.
///
/// Generated services register by their method descriptors, so a method is named by a symbol
/// and its handler must stream the way the `.proto` says:
///
/// ```swift
/// var router = RPCRouter()
/// router.register(WorkflowV1.WorkflowService.getWorkflow, .unary { request, context, responder in
///     responder.succeed(request)
/// })
/// ```
package struct RPCRouter: Sendable {
    private var handlers: [String: RPCHandler] = [:]
    private var services: Set<String> = []

    /// Creates an empty router.
    package init() {}

    /// Serves a generated method with `handler`, replacing any earlier registration.
    ///
    /// - Precondition: `handler` streams as `method` does (a unary handler for a unary method, a
    ///   request-stream handler for a client-streaming or bidirectional one).
    package mutating func register<Request, Response>(_ method: MethodDescriptor<Request, Response>, _ handler: RPCHandler) {
        precondition(handler.serves(method.kind), "\(method.path) is \(method.kind): its handler must stream the same way")
        register(service: method.service, method: method.name, handler)
    }

    /// Serves `service`'s `method` with `handler`, replacing any earlier registration: for a
    /// method of raw bytes that no `.proto` describes.
    package mutating func register(service: String, method: String, _ handler: RPCHandler) {
        handlers["/\(service)/\(method)"] = handler
        services.insert(service)
    }

    /// The handler for a request, or the UNIMPLEMENTED status a stock server answers with.
    package func route(_ head: GRPCRequestHead) -> Result<RPCHandler, RPCStatus> {
        if let handler = handlers[head.path] {
            return .success(handler)
        }
        let service = String(head.service)
        if services.contains(service) {
            return .failure(RPCStatus(code: .unimplemented, message: "Method not found: \(head.path)"))
        }
        return .failure(RPCStatus(code: .unimplemented, message: "Unknown service: \(service)"))
    }

    /// The handler registered for `path` (`/package.Service/Method`), if any.
    package func handler(forPath path: String) -> RPCHandler? {
        handlers[path]
    }

    /// The names of the registered services, sorted.
    package var serviceNames: [String] { services.sorted() }
}
