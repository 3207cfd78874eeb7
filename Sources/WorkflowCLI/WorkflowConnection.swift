import HTTP2Transport
import NIOCore
import NIOPosix
import RPCCore
import TransportTLS
import WorkflowMessages

/// One connection to `workflowd`: the `workflow.v1.WorkflowService` calls (and WorkerService's
/// ListWorkers), typed, over the
/// project's own ``GRPCClient`` (libnghttp2 in client role).
///
/// Every failure is a ``CommandFailure`` that names the call and the address. The connection
/// does not reconnect; ``WatchSession`` makes a new one when it is lost.
///
/// ```swift
/// let workflow = try await WorkflowConnection.withConnection(to: .defaultAddress) { connection in
///     try await connection.workflow(id: "wf-0H5N3Q8T2ZK1")
/// }
/// ```
package final class WorkflowConnection: Sendable {
    /// Where the server listens.
    package let address: ServerAddress
    private let client: GRPCClient
    private let callTimeout: Duration

    private typealias Service = WorkflowV1.WorkflowService

    private init(address: ServerAddress, client: GRPCClient, callTimeout: Duration) {
        self.address = address
        self.client = client
        self.callTimeout = callTimeout
    }

    /// Connects to the server.
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - callTimeout: The deadline of each unary call (and of the TCP connect).
    ///   - tls: TLS for the connection; `nil` for plaintext.
    ///   - token: The bearer token sent with every call (`authorization: Bearer <token>`);
    ///     `nil` for none.
    ///   - group: The event loops; the shared singleton by default.
    /// - Returns: The connection.
    /// - Throws: ``CommandFailure`` (exit 4) when the server cannot be reached.
    package static func connect(
        to address: ServerAddress,
        callTimeout: Duration = .seconds(10),
        tls: ClientTLSContext? = nil,
        token: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(CommandFailure) -> WorkflowConnection {
        // GetWorkflow answers for very large workflows exceed gRPC's usual 4 MiB.
        var configuration = GRPCClientConfiguration(
            maxReceiveMessageSize: 256 << 20,
            connectTimeout: min(callTimeout, .seconds(10)),
            userAgent: "workflowctl/0.1",
            tls: tls
        )
        if let token {
            configuration.callMetadata = [("authorization", "Bearer \(token)")]
        }
        do {
            let client = try await GRPCClient.connect(host: address.host, port: address.port, group: group, configuration: configuration)
            return WorkflowConnection(address: address, client: client, callTimeout: callTimeout)
        } catch {
            throw .unreachable(address, detail: Self.connectDetail(error))
        }
    }

    /// Starts a workflow.
    ///
    /// - Parameter request: The type, parameters, user, summary and request id.
    /// - Returns: The new workflow's id and status.
    /// - Throws: ``CommandFailure`` when the call fails.
    package func startWorkflow(_ request: WorkflowV1.StartWorkflowRequest) async throws(CommandFailure) -> WorkflowV1.StartWorkflowResponse {
        try await unary(Service.startWorkflow, request, about: request.type)
    }

    /// The whole tree of one workflow.
    ///
    /// - Parameter id: The workflow's id.
    /// - Returns: The workflow.
    /// - Throws: ``CommandFailure`` when the call fails (NOT_FOUND for an unknown id).
    package func workflow(id: String) async throws(CommandFailure) -> WorkflowV1.Workflow {
        try await unary(Service.getWorkflow, WorkflowV1.GetWorkflowRequest(workflowID: id), about: id)
    }

    /// Re-runs a FAILED workflow from the job that failed.
    ///
    /// - Parameter id: The workflow's id.
    /// - Returns: The new attempt and the job it resumes from.
    /// - Throws: ``CommandFailure`` when the call fails (FAILED_PRECONDITION unless it failed).
    package func retryWorkflow(id: String) async throws(CommandFailure) -> WorkflowV1.RetryWorkflowResponse {
        try await unary(Service.retryWorkflow, WorkflowV1.RetryWorkflowRequest(workflowID: id), about: id)
    }

    /// Asks a RUNNING workflow to stop.
    ///
    /// - Parameters:
    ///   - id: The workflow's id.
    ///   - reason: Why, recorded in its cancellation events.
    /// - Returns: The workflow's status (RUNNING until its job stops).
    /// - Throws: ``CommandFailure`` when the call fails (FAILED_PRECONDITION once it ended).
    package func cancelWorkflow(id: String, reason: String) async throws(CommandFailure) -> WorkflowV1.CancelWorkflowResponse {
        try await unary(Service.cancelWorkflow, WorkflowV1.CancelWorkflowRequest(workflowID: id, reason: reason), about: id)
    }

    /// One page of workflows, newest first, as summaries (jobs without steps).
    ///
    /// - Parameter request: Filters, page size and token.
    /// - Returns: The page and the token of the next one.
    /// - Throws: ``CommandFailure`` when the call fails.
    package func listWorkflows(_ request: WorkflowV1.ListWorkflowsRequest) async throws(CommandFailure) -> WorkflowV1.ListWorkflowsResponse {
        try await unary(Service.listWorkflows, request)
    }

    /// The connected workers (`workflow.v1.WorkerService/ListWorkers`).
    ///
    /// - Parameter queue: Only workers serving this queue; empty for all.
    /// - Returns: The workers, by name and instance.
    /// - Throws: ``CommandFailure`` when the call fails.
    package func listWorkers(queue: String) async throws(CommandFailure) -> WorkflowV1.ListWorkersResponse {
        try await unary(WorkflowV1.WorkerService.listWorkers, WorkflowV1.ListWorkersRequest(queue: queue))
    }

    /// Uploads the file `source` reads, streamed in chunks (`UploadFile`).
    ///
    /// - Parameter source: The file and what to declare about it.
    /// - Returns: The stored file, with the id workflows take as `file_id`.
    /// - Throws: ``CommandFailure`` when the call fails, or the file cannot be read.
    package func uploadFile(_ source: UploadSource) async throws(CommandFailure) -> WorkflowV1.UploadedFile {
        let call = "\(Service.uploadFile.name) \(source.header.name)"
        let bytes: [UInt8]
        do {
            bytes = try await client.clientStreaming(path: Service.uploadFile.path, requests: source)
        } catch {
            if let readError = source.readError {
                throw CommandFailure(exitStatus: .usage, message: "cannot read \(source.path): \(readError)")
            }
            throw .rpc(error, call: call, address: address)
        }
        do {
            return try WorkflowV1.UploadedFile(serializedBytes: bytes)
        } catch {
            throw CommandFailure(exitStatus: .serverError, message: "\(call): the server's answer is not a valid UploadedFile (\(error))")
        }
    }

    /// Starts a `DownloadArtifact` call; iterate the result for the chunks' bytes.
    ///
    /// - Parameters:
    ///   - id: The artifact's id.
    ///   - offset: Where in the file to start.
    /// - Returns: The serialized chunks; iteration throws the call's ``RPCStatus`` if it fails.
    package func downloadArtifact(id: String, offset: Int64 = 0) -> GRPCResponseStream {
        client.serverStreaming(
            path: Service.downloadArtifact.path, request: WorkflowV1.DownloadArtifactRequest(artifactID: id, offset: offset).serializedBytes()
        )
    }

    /// One page of the asset registry, by tag.
    ///
    /// - Parameter request: Filters, page size and token.
    /// - Returns: The page, the token of the next one and the number of matches.
    /// - Throws: ``CommandFailure`` when the call fails.
    package func listAssets(_ request: WorkflowV1.ListAssetsRequest) async throws(CommandFailure) -> WorkflowV1.ListAssetsResponse {
        try await unary(Service.listAssets, request)
    }

    /// One asset, by id or tag.
    ///
    /// - Parameter request: The id or the tag.
    /// - Returns: The asset.
    /// - Throws: ``CommandFailure`` when the call fails (NOT_FOUND for an unknown one).
    package func asset(_ request: WorkflowV1.GetAssetRequest) async throws(CommandFailure) -> WorkflowV1.Asset {
        try await unary(Service.getAsset, request, about: request.assetID.isEmpty ? request.tag : request.assetID)
    }

    /// Starts a `WatchLogs` call; iterate the result for the events' bytes.
    ///
    /// - Parameter request: What to watch.
    /// - Returns: The serialized events; iteration throws the call's ``RPCStatus`` if it fails.
    package func watchLogs(_ request: WorkflowV1.WatchLogsRequest) -> GRPCResponseStream {
        client.serverStreaming(path: Service.watchLogs.path, request: request.serializedBytes())
    }

    /// Who the server takes this client to be, and its roles.
    ///
    /// - Returns: The caller's subject, roles, and whether the server authenticates at all.
    /// - Throws: ``CommandFailure`` when the call fails (UNAUTHENTICATED for a refused token).
    package func whoAmI() async throws(CommandFailure) -> WorkflowV1.WhoAmIResponse {
        try await unary(Service.whoAmI, WorkflowV1.WhoAmIRequest())
    }

    /// Closes the connection.
    package func close() async {
        await client.close()
    }

    /// Makes a unary call; failures name it as `<method> <subject>`, e.g. "GetWorkflow wf-1".
    private func unary<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request, about subject: String = ""
    ) async throws(CommandFailure) -> Response {
        let call = subject.isEmpty ? method.name : "\(method.name) \(subject)"
        let bytes: [UInt8]
        do {
            bytes = try await client.unary(path: method.path, request: request.serializedBytes(), timeout: callTimeout)
        } catch {
            throw .rpc(error, call: call, address: address)
        }
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw CommandFailure(exitStatus: .serverError, message: "\(call): the server's answer is not a valid \(Response.protoMessageName) (\(error))")
        }
    }

    /// The part of a connect error worth showing: the client's message without its prefix.
    private static func connectDetail(_ status: RPCStatus) -> String {
        status.message.isEmpty ? "\(status.code)" : status.message
    }
}
