/// Maps method paths (`/package.Service/Method`) to their handlers.
///
/// ```swift
/// var router = RPCRouter()
/// router.register(service: "workflow.v1.WorkflowService", method: "GetWorkflow", .unary { request, context, responder in
///     responder.succeed(request)
/// })
/// ```
public struct RPCRouter: Sendable {
    private var handlers: [String: RPCHandler] = [:]
    private var services: Set<String> = []

    /// Creates an empty router.
    public init() {}

    /// Serves `service`'s `method` with `handler`, replacing any earlier registration.
    public mutating func register(service: String, method: String, _ handler: RPCHandler) {
        handlers["/\(service)/\(method)"] = handler
        services.insert(service)
    }

    /// The handler for a request, or the UNIMPLEMENTED status a stock server answers with.
    public func route(_ head: GRPCRequestHead) -> Result<RPCHandler, RPCStatus> {
        if let handler = handlers[head.path] {
            return .success(handler)
        }
        let service = String(head.service)
        if services.contains(service) {
            return .failure(RPCStatus(code: .unimplemented, message: "Method not found: \(head.path)"))
        }
        return .failure(RPCStatus(code: .unimplemented, message: "Unknown service: \(service)"))
    }

    /// The names of the registered services, sorted.
    public var serviceNames: [String] { services.sorted() }
}
