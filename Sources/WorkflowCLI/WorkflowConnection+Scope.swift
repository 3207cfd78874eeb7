import NIOCore
import NIOPosix
import TransportTLS

extension WorkflowConnection: ClosableConnection {
    /// Connects to the server, runs `body` with the connection, and closes it however `body`
    /// ends.
    ///
    /// ```swift
    /// let workflow = try await WorkflowConnection.withConnection(to: address) { connection in
    ///     try await connection.workflow(id: "wf-0H5N3Q8T2ZK1")
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - callTimeout: The deadline of each unary call (and of the TCP connect).
    ///   - tls: TLS for the connection; `nil` for plaintext.
    ///   - token: The bearer token sent with every call; `nil` for none.
    ///   - group: The event loops; the shared singleton by default.
    ///   - body: The calls to make; it may hand the connection on to a watch, which closes it.
    /// - Returns: What `body` returns.
    /// - Throws: ``CommandFailure``: exit 4 when the server cannot be reached, else what `body`
    ///   throws.
    package static func withConnection<Result>(
        to address: ServerAddress,
        callTimeout: Duration = .seconds(10),
        tls: ClientTLSContext? = nil,
        token: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (WorkflowConnection) async throws(CommandFailure) -> Result
    ) async throws(CommandFailure) -> Result {
        try await withConnection(opening: { () async throws(CommandFailure) in
            try await connect(to: address, callTimeout: callTimeout, tls: tls, token: token, group: group)
        }, body)
    }
}
