import Logging
import NIOCore
import NIOPosix
import RPCCore
import Synchronization

/// A gRPC server over HTTP/2 (libnghttp2) on SwiftNIO sockets.
///
/// It serves whatever an ``RPCRouter`` holds and knows nothing else about the methods.
///
/// ```swift
/// let server = GRPCServer(router: router, configuration: .init(port: 0), group: group, logger: logger)
/// let port = try await server.start()
/// // ...
/// await server.beginShutdown()          // no new connections; GOAWAY to the open ones
/// await server.finishShutdown(gracePeriod: .seconds(10))
/// ```
package final class GRPCServer: Sendable {
    private let router: RPCRouter
    private let configuration: GRPCServerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listener = Mutex<(any Channel)?>(nil)
    /// The open connections; closed to new ones when a shutdown begins.
    private let connections = ConnectionRegistry()

    /// Calls finished so far, by the status they ended with.
    package let statistics = CallStatistics()
    /// What all connections together may buffer.
    package let budget: BufferBudget
    /// Gives memory back to the system after connections close.
    private let reclaimer = MemoryReclaimer()

    /// The largest buffer one socket read fills: about one full DATA frame.
    static let maxReadSize = 16 << 10

    /// Creates a server; nothing listens until ``start()``.
    /// - Parameters:
    ///   - router: The methods to serve.
    ///   - configuration: Where to listen and the limits to enforce.
    ///   - group: The event loops for the listener and its connections.
    ///   - logger: Where connection-level problems are logged (mostly at debug level).
    package init(router: RPCRouter, configuration: GRPCServerConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.budget = BufferBudget(limit: configuration.maxBufferedBytes)
    }

    /// Binds the configured address and starts accepting connections.
    /// - Returns: the bound port (useful with port 0).
    /// - Throws: The socket error when the address cannot be bound.
    package func start() async throws -> Int {
        let router = self.router
        let configuration = self.configuration
        let logger = self.logger
        let statistics = self.statistics
        let budget = self.budget
        let reclaimer = self.reclaimer
        let connections = self.connections
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Each connection keeps its receive buffers between reads; at NIO's default of up to
            // 64 KiB they were most of what 1,000 busy connections cost (BENCHMARKS.md, "Memory
            // under hostile peers"). One DATA frame's worth keeps reads few and that cost flat.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maxReadSize))
            .childChannelInitializer { channel in
                guard connections.admit(channel, limit: configuration.maxConnections) else {
                    logger.debug("server.connection_refused", metadata: ["server.max_connections": "\(configuration.maxConnections)"])
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in reclaimer.connectionClosed() }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls = configuration.tls {
                        try channel.pipeline.syncOperations.addHandlers(tls.makeHTTP2Handlers())
                    }
                    let handler = GRPCServerConnectionHandler(
                        router: router, configuration: configuration, statistics: statistics, budget: budget, logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        listener.withLock { $0 = channel }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("server.listening", metadata: [
            "server.host": "\(configuration.host)", "server.port": "\(port)", "server.tls": "\(Self.tlsMode(configuration.tls))",
        ])
        return port
    }

    /// How connections are secured, for the log: `off`, `server` or `mutual`.
    static func tlsMode(_ tls: (any ServerConnectionSecurity)?) -> String {
        guard let tls else { return "off" }
        return tls.requiresClientCertificates ? "mutual" : "server"
    }

    /// The number of open connections.
    package var connectionCount: Int {
        connections.open.count
    }

    /// The first step of a graceful shutdown: stops accepting connections and tells every open
    /// one that the server is going away (a GOAWAY shutdown notice, then, one round trip later,
    /// the final GOAWAY with the last stream processed). Calls in flight go on.
    package func beginShutdown() async {
        let channel = listener.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        for connection in connections.close() {
            connection.pipeline.fireUserInboundEventTriggered(ServerConnectionEvent.beginShutdown)
        }
    }

    /// The second step of a graceful shutdown: ends streaming calls with UNAVAILABLE once they
    /// sent what they have, lets unary calls finish, and waits for the connections to close;
    /// closes the ones still open after `gracePeriod`. Calls ``beginShutdown()`` first if needed.
    /// - Parameter gracePeriod: How long to wait for calls to end.
    package func finishShutdown(gracePeriod: Duration) async {
        await beginShutdown()
        let open = connections.open
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(ServerConnectionEvent.drain)
        }
        let logger = self.logger
        let connections = self.connections
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for connection in open { try? await connection.closeFuture.get() }
            }
            group.addTask {
                // Cancelled when every connection closed in time.
                guard (try? await Task.sleep(for: gracePeriod)) != nil else { return }
                let remaining = connections.open
                logger.info("server.grace_period_expired", metadata: ["server.open_connections": "\(remaining.count)"])
                for connection in remaining { try? await connection.close() }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stops at once: no new connections, open ones closed without waiting for their calls.
    package func stop() async throws {
        await beginShutdown()
        for connection in connections.open {
            try? await connection.close()
        }
    }
}
