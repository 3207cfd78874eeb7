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
/// try await server.stop()
/// ```
public final class GRPCServer: Sendable {
    private let router: RPCRouter
    private let configuration: GRPCServerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listener = Mutex<(any Channel)?>(nil)

    /// Calls finished so far, by the status they ended with.
    public let statistics = CallStatistics()

    /// Creates a server; nothing listens until ``start()``.
    /// - Parameters:
    ///   - router: The methods to serve.
    ///   - configuration: Where to listen and the limits to enforce.
    ///   - group: The event loops for the listener and its connections.
    ///   - logger: Where connection-level problems are logged (mostly at debug level).
    public init(router: RPCRouter, configuration: GRPCServerConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Binds the configured address and starts accepting connections.
    /// - Returns: the bound port (useful with port 0).
    /// - Throws: The socket error when the address cannot be bound.
    public func start() async throws -> Int {
        let router = self.router
        let configuration = self.configuration
        let logger = self.logger
        let statistics = self.statistics
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = GRPCServerConnectionHandler(
                        router: router, configuration: configuration, statistics: statistics, logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        listener.withLock { $0 = channel }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("server.listening", metadata: ["server.host": "\(configuration.host)", "server.port": "\(port)"])
        return port
    }

    /// Stops accepting connections. Open connections close when their event loop group shuts down.
    public func stop() async throws {
        let channel = listener.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try await channel?.close()
    }
}
