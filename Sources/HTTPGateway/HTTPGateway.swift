import Hummingbird
import HummingbirdCore
import Logging
import MessageRuntime
import NIOCore
import RPCCore
import TransportTLS
import ServiceLifecycle
import Synchronization
import WorkflowMessages

/// The HTTP/1.1 side port: workflow.v1 as a JSON API and server-sent events, answered by the
/// same handlers as gRPC (each request is turned into the RPC's protobuf request, the RPC's
/// answer or status into JSON), on the event loops that serve gRPC.
///
/// | HTTP | RPC |
/// |---|---|
/// | `GET /api/v1/workflows?statuses=…&type=…&summary_contains=…&page_size=…&page_token=…` | ListWorkflows |
/// | `POST /api/v1/workflows` (body: StartWorkflowRequest) | StartWorkflow |
/// | `GET /api/v1/workflows/{id}?omit_steps=true` | GetWorkflow |
/// | `GET /api/v1/workflows/{id}/steps?before_sequence=…&min_level=…&job_id=…` | ListSteps |
/// | `GET /api/v1/workflow-counts?type=…&user_id=…&summary_contains=…` | CountWorkflows |
/// | `POST /api/v1/workflows/{id}/retry` | RetryWorkflow |
/// | `POST /api/v1/workflows/{id}/cancel` (body: `{"reason": …}`) | CancelWorkflow |
/// | `GET /api/v1/workers?queue=…` | ListWorkers |
/// | `POST /api/v1/files?name=…&sha256=…` (body: the file) | UploadFile, streamed (``FileTransfers``) |
/// | `GET /api/v1/artifacts/{id}` (`Range: bytes=N-`) | DownloadArtifact, as the file itself |
/// | `GET /api/v1/files/{id}` (`Range: bytes=N-`) | DownloadFile, as the file itself |
/// | `GET /api/v1/assets?type=…&tag_prefix=…&flagged_only=…&linked_to=…&page_size=…&page_token=…` | ListAssets |
/// | `GET /api/v1/assets/{id}` | GetAsset |
/// | `GET /api/v1/events?workflow_id=…&after_sequence=…&min_level=…&kinds=…` (`Last-Event-ID`) | WatchLogs, as server-sent events |
/// | `GET /api/v1/session`, `POST /api/v1/session` (body: `{"token": …}`), `DELETE /api/v1/session` | WhoAmI; the console's login and logout (``ConsoleSession``) |
///
/// Every call carries the request's credentials (``CallCredentials``: the `Authorization`
/// header or the console's session cookie, with CSRF checks, and the client certificate);
/// `/metrics` needs a caller that sees every workflow; `/healthz`, `/readyz` and the console's
/// files are open.
///
/// `/` serves the browser console, whose other files are under `/console/`.
///
/// Field names are the proto's (snake_case; lowerCamelCase is read too). An error is the
/// gRPC status mapped to an HTTP status, with `{"code", "status", "message"}` as the body.
package final class HTTPGateway: Sendable {
    /// Why the side port did not start.
    package enum HTTPGatewayError: Error, CustomStringConvertible {
        case stoppedBeforeListening(host: String, port: Int)

        package var description: String {
            switch self {
            case .stoppedBeforeListening(let host, let port):
                "the HTTP side port \(host):\(port) stopped before it listened"
            }
        }
    }

    /// Where and how the side port listens.
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port.
        package var port: Int
        /// The largest request body accepted.
        package var maxBodySize: Int
        /// How long an idle event stream waits before sending a keep-alive comment.
        package var heartbeatInterval: Duration
        /// Where the console's files come from.
        package var console: ConsoleFiles
        /// TLS for every connection (ALPN `http/1.1`); `nil`: plain HTTP.
        package var tls: ServerTLSContext?
        /// Whether API requests must be addressed (`Host`) to a loopback name or address: for a
        /// loopback server without authentication, so a web page whose name was rebound to
        /// 127.0.0.1 (DNS rebinding) cannot read or drive it.
        package var requiresLoopbackHost = false

        package init(
            host: String = "127.0.0.1", port: Int = 8080, maxBodySize: Int = 4 << 20,
            heartbeatInterval: Duration = .seconds(15), console: ConsoleFiles = .builtIn
        ) {
            self.host = host
            self.port = port
            self.maxBodySize = maxBodySize
            self.heartbeatInterval = heartbeatInterval
            self.console = console
        }
    }

    /// What the operational endpoints report.
    package struct Probes: Sendable {
        /// Whether the server takes traffic: `/readyz` answers 200 then, 503 otherwise (and
        /// `/healthz` says which, always with 200 while the process answers).
        package var isServing: @Sendable () -> Bool
        /// The metrics in Prometheus's text format for `/metrics`; `nil`: none (404).
        package var metrics: (@Sendable () async -> [UInt8])?

        package init(isServing: @escaping @Sendable () -> Bool = { true }, metrics: (@Sendable () async -> [UInt8])? = nil) {
            self.isServing = isServing
            self.metrics = metrics
        }
    }

    private let caller: RouterCaller
    private let probes: Probes
    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let streams = EventStreams()
    private let eventJSON = EventJSONCache()
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    /// Creates the gateway; nothing listens until ``start()``.
    ///
    /// - Parameters:
    ///   - router: The RPC methods to serve.
    ///   - loop: The event loop the router's handlers run on.
    ///   - group: The event loops the HTTP connections run on.
    ///   - configuration: Where to listen, the body limit, the keep-alive interval.
    ///   - probes: What `/healthz`, `/readyz` and `/metrics` report.
    ///   - logger: Where the gateway logs its address and Hummingbird its errors.
    package init(
        router: RPCRouter, loop: any EventLoop, group: any EventLoopGroup, configuration: Configuration,
        probes: Probes = Probes(), logger: Logger
    ) {
        self.caller = RouterCaller(router: router, loop: loop)
        self.probes = probes
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Event streams open now.
    package var openEventStreams: Int { streams.count }

    /// Starts listening.
    /// - Returns: The bound port.
    package func start() async throws -> Int {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: makeRouter(),
            server: Self.serverBuilder(tls: configuration.tls),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
        let serviceGroup = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let task = Task {
            // A failed bind never reports a port: end the wait either way.
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        running.withLock { $0 = (serviceGroup, task) }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next() else {
            try await task.value
            throw HTTPGatewayError.stoppedBeforeListening(host: configuration.host, port: configuration.port)
        }
        let urlHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        logger.info("server.http_listening", metadata: [
            "server.host": "\(configuration.host)", "server.http_port": "\(port)",
            "server.console_url": "\(configuration.tls == nil ? "http" : "https")://\(urlHost):\(port)/",
        ])
        return port
    }

    /// Stops accepting connections; requests in progress and event streams go on.
    package func beginShutdown() async {
        guard let (serviceGroup, _) = running.withLock({ $0 }) else { return }
        await serviceGroup.triggerGracefulShutdown()
    }

    /// Ends every event stream once it has sent what it has (its last event says UNAVAILABLE),
    /// then returns once the last request finished, or after `gracePeriod`, when what is still
    /// open is cut off. Calls ``beginShutdown()`` first if it was not called.
    package func finishShutdown(gracePeriod: Duration) async {
        streams.drain()
        guard let (serviceGroup, task) = running.withLock({ $0 }) else { return }
        await serviceGroup.triggerGracefulShutdown()
        let deadline = Task {
            try await Task.sleep(for: gracePeriod)
            task.cancel()
        }
        _ = await task.result
        deadline.cancel()
    }

    // MARK: Routes

    private typealias Methods = WorkflowV1.WorkflowService

    private func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.get("/api/v1/workflows") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.listWorkflows, credentials) { () throws(RPCStatus) in
                    try RequestJSON.query(request.uri.query, repeatedFields: ["statuses"])
                }
            }
        }
        router.post("/api/v1/workflows") { request, context in
            try await self.withCredentials(request, context) { credentials in
                let body = try await self.body(of: request)
                return await self.unary(Methods.startWorkflow, credentials) { () throws(RPCStatus) in try RequestJSON.body(body) }
            }
        }
        router.get("/api/v1/workflows/{id}") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.getWorkflow, credentials) { () throws(RPCStatus) in try Self.queryOfWorkflow(request, context) }
            }
        }
        router.get("/api/v1/workflows/{id}/steps") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.listSteps, credentials) { () throws(RPCStatus) in try Self.queryOfWorkflow(request, context) }
            }
        }
        router.get("/api/v1/workflow-counts") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.countWorkflows, credentials) { () throws(RPCStatus) in
                    try RequestJSON.query(request.uri.query)
                }
            }
        }
        router.post("/api/v1/workflows/{id}/retry") { request, context in
            try await self.withCredentials(request, context) { credentials in
                try await self.workflowAction(Methods.retryWorkflow, request, context, credentials)
            }
        }
        router.post("/api/v1/workflows/{id}/cancel") { request, context in
            try await self.withCredentials(request, context) { credentials in
                try await self.workflowAction(Methods.cancelWorkflow, request, context, credentials)
            }
        }
        router.get("/api/v1/workers") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(WorkflowV1.WorkerService.listWorkers, credentials) { () throws(RPCStatus) in
                    try RequestJSON.query(request.uri.query)
                }
            }
        }
        let files = FileTransfers(caller: caller)
        router.post("/api/v1/files") { request, context in
            try await self.withCredentials(request, context) { credentials in
                try await files.upload(request, credentials: credentials)
            }
        }
        router.get("/api/v1/files/{id}") { request, context in
            try await self.withCredentials(request, context) { credentials in
                try await files.downloadUpload(request, id: context.parameters.get("id") ?? "", credentials: credentials)
            }
        }
        router.get("/api/v1/artifacts/{id}") { request, context in
            try await self.withCredentials(request, context) { credentials in
                try await files.downloadArtifact(request, id: context.parameters.get("id") ?? "", credentials: credentials)
            }
        }
        router.get("/api/v1/assets") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.listAssets, credentials) { () throws(RPCStatus) in
                    try RequestJSON.query(request.uri.query)
                }
            }
        }
        router.get("/api/v1/assets/{id}") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.unary(Methods.getAsset, credentials) { () throws(RPCStatus) in
                    var json = try RequestJSON.query(request.uri.query)
                    try json.setPathField("asset_id", to: context.parameters.get("id") ?? "")
                    return json
                }
            }
        }
        router.get("/api/v1/events") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await self.events(request, connection: context.channel, credentials: credentials)
            }
        }
        let session = ConsoleSession(caller: caller, isTLS: configuration.tls != nil)
        router.get("/api/v1/session") { request, context in
            try await self.withCredentials(request, context) { credentials in
                await session.whoAmI(credentials)
            }
        }
        router.post("/api/v1/session") { request, context in
            try await self.withCredentials(request, context, forSessionChange: true) { credentials in
                await session.logIn(body: try await self.body(of: request), peerIdentity: credentials.peerIdentity)
            }
        }
        router.delete("/api/v1/session") { request, context in
            try await self.withCredentials(request, context, forSessionChange: true) { _ in
                session.logOut()
            }
        }
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/", method: method) { request, _ in
                self.configuration.console.response(for: "index.html", request: request)
            }
            router.on("/console/{name}", method: method) { request, context in
                self.configuration.console.response(for: context.parameters.get("name") ?? "", request: request)
            }
        }
        router.get("/healthz") { _, _ in
            Self.json(Self.servingBody(self.probes.isServing()))
        }
        router.get("/readyz") { _, _ in
            let serving = self.probes.isServing()
            return Self.json(Self.servingBody(serving), status: serving ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { request, context in
            guard let metrics = self.probes.metrics else {
                return Self.error(RPCStatus(code: .notFound, message: "this server collects no metrics"))
            }
            return try await self.withCredentials(request, context) { credentials in
                do throws(RPCStatus) {
                    try await session.requireMetricsReader(credentials)
                } catch {
                    return Self.error(error)
                }
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: await metrics())))
            }
        }
        return router
    }

    // MARK: Calls

    /// Answers with `respond` given the request's credentials (for a login or logout, only its
    /// client certificate), or with why they were refused (a cross-site request).
    private func withCredentials(
        _ request: Request, _ context: GatewayRequestContext, forSessionChange: Bool = false,
        _ respond: (CallCredentials) async throws -> Response
    ) async throws -> Response {
        let credentials: CallCredentials
        do throws(RPCStatus) {
            if configuration.requiresLoopbackHost { try CallCredentials.checkLoopbackHost(of: request) }
            credentials = forSessionChange
                ? try await CallCredentials.ofSessionChange(request, channel: context.channel, tls: configuration.tls)
                : try await CallCredentials.of(request, channel: context.channel, tls: configuration.tls)
        } catch {
            return Self.error(error)
        }
        return try await respond(credentials)
    }

    /// The request body, refused past the size limit.
    private func body(of request: Request) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: configuration.maxBodySize)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "the request body is larger than \(configuration.maxBodySize) bytes")
        }
    }

    /// A GET on one workflow (`/workflows/{id}…`): its query's fields and the path's
    /// `workflow_id` make the request.
    private static func queryOfWorkflow(_ request: Request, _ context: GatewayRequestContext) throws(RPCStatus) -> RequestJSON {
        var json = try RequestJSON.query(request.uri.query)
        try json.setPathField("workflow_id", to: context.parameters.get("id") ?? "")
        return json
    }

    /// A POST on one workflow (`/workflows/{id}/…`): its body's members and the path's
    /// `workflow_id` make the request.
    private func workflowAction<RequestMessage: ProtoMessage, ResponseMessage: ProtoMessage>(
        _ method: MethodDescriptor<RequestMessage, ResponseMessage>,
        _ request: Request,
        _ context: GatewayRequestContext,
        _ credentials: CallCredentials
    ) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let body = try await body(of: request)
        return await unary(method, credentials) { () throws(RPCStatus) in
            var json = try RequestJSON.body(body)
            try json.setPathField("workflow_id", to: id)
            return json
        }
    }

    /// Calls a unary method with the request `json` builds, and answers with its response as
    /// JSON or its status as an error.
    private func unary<RequestMessage: ProtoMessage, ResponseMessage: ProtoMessage>(
        _ method: MethodDescriptor<RequestMessage, ResponseMessage>,
        _ credentials: CallCredentials,
        _ json: () throws(RPCStatus) -> RequestJSON
    ) async -> Response {
        let request: RequestMessage
        do {
            request = try Self.decode(RequestMessage.self, from: json())
        } catch {
            return Self.error(error)
        }
        switch await caller.unary(method.path, request: request.serializedBytes(), credentials: credentials) {
        case .success(let bytes):
            do {
                return Self.json(try ResponseMessage(serializedBytes: bytes).protoJSONBytes())
            } catch {
                return Self.error(RPCStatus(code: .internalError, message: "the server's answer does not decode: \(error)"))
            }
        case .failure(let status):
            return Self.error(status)
        }
    }

    /// WatchLogs as server-sent events; `Last-Event-ID` (what a reconnecting `EventSource`
    /// sends) takes the place of `after_sequence`.
    private func events(_ request: Request, connection: any Channel, credentials: CallCredentials) async -> Response {
        let watch: WorkflowV1.WatchLogsRequest
        do {
            var json = try RequestJSON.query(request.uri.query, repeatedFields: ["kinds"])
            if let lastEventID = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value, !lastEventID.isEmpty {
                json.removeMember("after_sequence")
                json.removeMember("afterSequence")
                try json.setPathField("after_sequence", to: lastEventID)
            }
            watch = try Self.decode(WorkflowV1.WatchLogsRequest.self, from: json)
        } catch {
            return Self.error(error)
        }
        let control = EventStreamControl()
        let waker = StreamWaker { control.wake() }
        let producer: any ServerStreamProducer
        switch await caller.openStream(Methods.watchLogs.path, request: watch.serializedBytes(), credentials: credentials, waker: waker) {
        case .success(let opened):
            producer = opened
        case .failure(let status):
            return Self.error(status)
        }
        let stream = EventStream(
            caller: caller, producer: producer, control: control,
            heartbeatInterval: configuration.heartbeatInterval,
            render: { [eventJSON] bytes in
                let (sequence, json) = try eventJSON.json(ofSerialized: bytes)
                return (sequence > 0 ? String(sequence) : nil, json)
            }
        )
        // A client that goes away ends its stream at once, not at the next failed write.
        connection.closeFuture.whenComplete { _ in control.close() }
        let streams = self.streams
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let id = streams.add(control)
            defer { streams.remove(id) }
            try await stream.write(to: &writer)
            try await writer.finish(nil)
        })
    }

    /// HTTP/1.1 connections, behind `tls` when given.
    private static func serverBuilder(tls: ServerTLSContext?) -> HTTPServerBuilder {
        let configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [ClientHangUpHandler()], idleTimeout: .seconds(300))
        guard let tls else { return .http1(configuration: configuration) }
        return HTTPServerBuilder { responder in
            TLSChildChannel(base: HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }

    /// Hummingbird's basic context plus the request's connection, whose closing ends an event
    /// stream.
    struct GatewayRequestContext: RequestContext {
        var coreContext: CoreRequestContextStorage
        let channel: any Channel

        init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
            self.channel = source.channel
        }
    }

    static func decode<M: ProtoMessage>(_ type: M.Type, from json: RequestJSON) throws(RPCStatus) -> M {
        do {
            return try M(protoJSON: json.value)
        } catch {
            throw RPCStatus(code: .invalidArgument, message: "invalid \(M.protoMessageName): \(error)")
        }
    }

    /// `{"status": "SERVING"}` or `{"status": "NOT_SERVING"}`, as gRPC health names them.
    private static func servingBody(_ serving: Bool) -> [UInt8] {
        Array(#"{"status":"\#(serving ? "SERVING" : "NOT_SERVING")"}"#.utf8)
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = HTTPFields()) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func error(_ status: RPCStatus) -> Response {
        errorResponse(status, httpStatus: status.code.httpStatus)
    }

    /// An error answer: `status` as the JSON body, with `httpStatus`.
    static func errorResponse(_ status: RPCStatus, httpStatus: HTTPResponse.Status) -> Response {
        json(status.jsonBody, status: httpStatus)
    }
}
