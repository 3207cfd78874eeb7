import NGHTTP2

/// Where a `GRPCServer` listens and the limits it enforces.
public struct GRPCServerConfiguration: Sendable {
    /// The address to bind, such as `127.0.0.1`.
    public var host: String
    /// The port to bind; 0 picks a free one (`GRPCServer.start()` returns the bound port).
    public var port: Int
    /// Largest request message accepted; larger ones end with RESOURCE_EXHAUSTED.
    public var maxReceiveMessageSize: Int
    /// The HTTP/2 settings each connection advertises.
    public var http2: HTTP2Settings
    /// About how many bytes a stream's producer is asked for at a time. Together with HTTP/2 flow
    /// control this bounds what the server buffers for a client that reads slowly.
    public var streamChunkSize: Int
    /// The most connections open at once; more are closed as soon as they are accepted.
    public var maxConnections: Int

    /// Creates a configuration with gRPC's usual defaults.
    public init(
        host: String = "127.0.0.1",
        port: Int = 50051,
        maxReceiveMessageSize: Int = 4 << 20,
        http2: HTTP2Settings = HTTP2Settings(),
        streamChunkSize: Int = 32 << 10,
        maxConnections: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.http2 = http2
        self.streamChunkSize = streamChunkSize
        self.maxConnections = maxConnections
    }
}
