import HeaderFields
import Logging
import NGHTTP2
import NIOCore
import NIOPosix
import RPCCore
import Synchronization

/// A gRPC client over one HTTP/2 connection (libnghttp2, client role) on SwiftNIO sockets.
///
/// Calls are multiplexed on the connection and may run concurrently from any task. Requests
/// carry `:method POST`, `:scheme http` (`https` over TLS), `:authority host:port`, `content-type
/// application/grpc`, `te trailers`, `grpc-timeout` when a timeout is given, and the configured
/// `user-agent`. Every failure is an ``RPCStatus``: the status the server sent (its
/// `grpc-message` percent-decoded), INTERNAL for a response without `grpc-status`,
/// UNAVAILABLE when the connection is lost or closed, CANCELLED when the calling task is
/// cancelled, DEADLINE_EXCEEDED when the timeout passes first.
///
/// The client does not reconnect: after UNAVAILABLE from a lost connection, connect a new one.
///
/// ```swift
/// let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
/// let client = try await GRPCClient.connect(host: "127.0.0.1", port: 50051, group: group)
/// let reply = try await client.unary(path: WorkflowV1.WorkflowService.getWorkflow.path, request: bytes,
///                                    timeout: .seconds(5))
/// for try await event in client.serverStreaming(path: WorkflowV1.WorkflowService.watchLogs.path, request: bytes) {
///     print(event.count)
/// }
/// await client.close()
/// ```
package final class GRPCClient: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<GRPCClientConnectionHandler>
    private let authority: String
    private let configuration: GRPCClientConfiguration
    private let nextCallID = Atomic<UInt64>(0)

    private init(channel: any Channel, handler: NIOLoopBound<GRPCClientConnectionHandler>, authority: String, configuration: GRPCClientConfiguration) {
        self.channel = channel
        self.handler = handler
        self.authority = authority
        self.configuration = configuration
    }

    deinit {
        // A client dropped without `close()` must not leak its socket.
        if channel.isActive { channel.close(promise: nil) }
    }

    /// Opens a connection to a gRPC server.
    ///
    /// - Parameters:
    ///   - host: The server's host name or IP address.
    ///   - port: The server's port.
    ///   - group: The event loops for the connection; the client uses one of them.
    ///   - configuration: Limits and HTTP/2 settings.
    ///   - logger: Where connection-level problems are logged (at debug level).
    /// - Returns: A connected client.
    /// - Throws: ``RPCStatus`` UNAVAILABLE when the TCP connection cannot be made.
    package static func connect(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        configuration: GRPCClientConfiguration = GRPCClientConfiguration(),
        logger: Logger = Logger(label: "workflowengine.grpc-client", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(RPCStatus) -> GRPCClient {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        do {
            let (channel, handler) = try await bootstrap.connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = configuration.tls {
                        try channel.pipeline.syncOperations.addHandlers(tls.makeHandlers(serverName: host))
                    }
                    let handler = GRPCClientConnectionHandler(configuration: configuration, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
            return GRPCClient(channel: channel, handler: handler, authority: Self.authority(host: host, port: port), configuration: configuration)
        } catch {
            throw RPCStatus(code: .unavailable, message: "cannot connect to \(host):\(port): \(error)")
        }
    }

    /// Calls a unary method: one request message, one response message.
    ///
    /// - Parameters:
    ///   - path: The method path, `/package.Service/Method`.
    ///   - request: The serialized request message.
    ///   - timeout: How long to wait; sent as `grpc-timeout` and enforced by the client too.
    ///   - metadata: Custom metadata (names are lowercased; `-bin` values must already be
    ///     base64; reserved names such as `content-type` are dropped; a `user-agent` is
    ///     prepended to the client's own).
    /// - Returns: The serialized response message.
    /// - Throws: The call's ``RPCStatus`` when it is not OK.
    package func unary(
        path: String,
        request: [UInt8],
        timeout: Duration? = nil,
        metadata: [(String, String)] = []
    ) async throws(RPCStatus) -> [UInt8] {
        let prepared = try prepare(path: path, request: request, timeout: timeout, metadata: metadata)
        return try await singleResponse(prepared, requests: nil)
    }

    /// Calls a client-streaming method: the request messages `requests` gives, pulled as flow
    /// control lets them out, then one response message.
    ///
    /// - Parameters:
    ///   - path: The method path, `/package.Service/Method`.
    ///   - requests: The request messages.
    ///   - timeout: How long to wait for the whole call; none by default.
    ///   - metadata: Custom metadata, as for ``unary(path:request:timeout:metadata:)``.
    /// - Returns: The serialized response message.
    /// - Throws: The call's ``RPCStatus`` when it is not OK.
    package func clientStreaming(
        path: String,
        requests: any ClientRequestStream,
        timeout: Duration? = nil,
        metadata: [(String, String)] = []
    ) async throws(RPCStatus) -> [UInt8] {
        var prepared = try prepare(path: path, request: [], timeout: timeout, metadata: metadata)
        prepared.framedRequest = []
        return try await singleResponse(prepared, requests: requests)
    }

    /// Runs a call that answers one message: a unary call (its request in `prepared`), or a
    /// client-streaming one (its messages from `requests`).
    private func singleResponse(_ prepared: PreparedRequest, requests: (any ClientRequestStream)?) async throws(RPCStatus) -> [UInt8] {
        let callID = nextCallID.add(1, ordering: .relaxed).newValue
        try checkOpen()
        let cancellation = ClientCallCancellation()
        let handler = self.handler
        let loop = channel.eventLoop
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8], RPCStatus>, Never>) in
                let call = ClientCall(
                    id: callID, headers: prepared.headers, framedRequest: prepared.framedRequest, requestStream: requests,
                    deadline: prepared.deadline, sink: .unary { continuation.resume(returning: $0) },
                    cancellation: cancellation
                )
                loop.execute { handler.value.start(call) }
            }
        } onCancel: {
            // The flag covers a cancellation that reaches the loop before the call does.
            cancellation.cancel()
            loop.execute { handler.value.cancel(callID: callID) }
        }
        return try result.get()
    }

    /// Calls a server-streaming method: one request message, a stream of response messages.
    ///
    /// The call starts at once. Iterate the returned stream to read the messages; it ends
    /// normally when the call ends with OK and throws the ``RPCStatus`` otherwise. Cancelling
    /// the iterating task, or dropping the stream early, cancels the call.
    ///
    /// - Parameters: as for ``unary(path:request:timeout:metadata:)``.
    /// - Returns: The response messages.
    package func serverStreaming(
        path: String,
        request: [UInt8],
        timeout: Duration? = nil,
        metadata: [(String, String)] = []
    ) -> GRPCResponseStream {
        let callID = nextCallID.add(1, ordering: .relaxed).newValue
        let cancellation = ClientCallCancellation()
        let handler = self.handler
        let loop = channel.eventLoop
        let buffer = ResponseStreamBuffer(
            maxBufferedBytes: configuration.maxBufferedResponseBytes,
            onDrained: { loop.execute { handler.value.streamDrained(callID: callID) } },
            onCancel: {
                cancellation.cancel()
                loop.execute { handler.value.cancel(callID: callID) }
            }
        )
        do throws(RPCStatus) {
            let prepared = try prepare(path: path, request: request, timeout: timeout, metadata: metadata)
            try checkOpen()
            let call = ClientCall(
                id: callID, headers: prepared.headers, framedRequest: prepared.framedRequest,
                deadline: prepared.deadline, sink: .stream(buffer), cancellation: cancellation
            )
            loop.execute { handler.value.start(call) }
        } catch {
            buffer.finish(error)
        }
        return GRPCResponseStream(buffer: buffer)
    }

    /// Closes the connection: sends GOAWAY, then closes the socket. Calls still running end
    /// with UNAVAILABLE, and later calls fail with UNAVAILABLE at once.
    package func close() async {
        let handler = self.handler
        let channel = self.channel
        // A closed channel (or one whose event loop group shut down, which closes it) has
        // nothing left to do, and its loop may no longer accept tasks.
        guard channel.isActive else { return }
        let closing = channel.eventLoop.submit { handler.value.closeConnection() }
        if let closed = try? await closing.get() {
            try? await closed.get()
        } else {
            try? await channel.close()
        }
    }

    // MARK: Request preparation (off the event loop)

    /// Fails fast once the connection is closed. Besides saving a hop, this keeps calls from
    /// being handed to an event loop whose group already shut down (which would drop them).
    private func checkOpen() throws(RPCStatus) {
        guard channel.isActive else {
            throw RPCStatus(code: .unavailable, message: "the connection is closed")
        }
    }

    private struct PreparedRequest: Sendable {
        var headers: [HeaderField]
        var framedRequest: [UInt8]
        var deadline: NIODeadline?
    }

    private func prepare(path: String, request: [UInt8], timeout: Duration?, metadata: [(String, String)]) throws(RPCStatus) -> PreparedRequest {
        guard request.count <= GRPCMessageFramer.maxMessageLength else {
            throw RPCStatus(code: .resourceExhausted, message: "request message of \(request.count) bytes is larger than gRPC framing allows")
        }
        var headers = [
            HeaderField(name: ":method", value: "POST"),
            HeaderField(name: ":scheme", value: configuration.tls == nil ? "http" : "https"),
            HeaderField(name: ":path", value: path),
            HeaderField(name: ":authority", value: authority),
            HeaderField(name: "content-type", value: GRPCContentType.standard),
            HeaderField(name: "te", value: "trailers"),
        ]
        if let timeout {
            headers.append(HeaderField(name: "grpc-timeout", value: GRPCTimeout(timeout).headerValue))
        }
        var userAgent = configuration.userAgent
        var custom = Metadata()
        for (name, value) in configuration.callMetadata + metadata {
            try Self.validateMetadata(name: name, value: value)
            if name.lowercased() == "user-agent" {
                userAgent = "\(value) \(userAgent)"
            } else {
                custom.addString(value, forKey: name)
            }
        }
        headers.append(HeaderField(name: "user-agent", value: userAgent))
        custom.appendHeaderFields(to: &headers)

        var framed: [UInt8] = []
        framed.reserveCapacity(GRPCMessageFramer.prefixLength + request.count)
        GRPCMessageFramer.frame(request, into: &framed)
        let deadline = timeout.map { NIODeadline.now() + TimeAmount($0) }
        return PreparedRequest(headers: headers, framedRequest: framed, deadline: deadline)
    }

    /// Rejects metadata that is not a valid HTTP/2 field: the server would reset the stream.
    private static func validateMetadata(name: String, value: String) throws(RPCStatus) {
        let validName = !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
        guard validName else {
            throw RPCStatus(code: .internalError, message: "invalid metadata name '\(name)'")
        }
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw RPCStatus(code: .internalError, message: "invalid value for metadata '\(name)': only printable ASCII is allowed")
        }
    }

    /// `host:port`, with an IPv6 literal in brackets.
    private static func authority(host: String, port: Int) -> String {
        if host.contains(":") && !host.hasPrefix("[") {
            return "[\(host)]:\(port)"
        }
        return "\(host):\(port)"
    }
}
