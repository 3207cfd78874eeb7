import NGHTTP2

/// Where a `GRPCServer` listens and the limits it enforces.
package struct GRPCServerConfiguration: Sendable {
    /// The address to bind, such as `127.0.0.1`.
    package var host: String
    /// The port to bind; 0 picks a free one (`GRPCServer.start()` returns the bound port).
    package var port: Int
    /// Largest request message accepted; larger ones end with RESOURCE_EXHAUSTED.
    package var maxReceiveMessageSize: Int
    /// The HTTP/2 settings each connection advertises.
    package var http2: HTTP2Settings
    /// About how many bytes a stream's producer is asked for at a time. Together with HTTP/2 flow
    /// control this bounds what the server buffers for a client that reads slowly.
    package var streamChunkSize: Int
    /// The most connections open at once; more are closed as soon as they are accepted.
    package var maxConnections: Int
    /// A connection with no open stream for this long is closed (GOAWAY, then close); this also
    /// ends peers that connect and send nothing, or half a preface. nil: never.
    package var idleTimeout: Duration?
    /// After this long without receiving anything the server PINGs the peer; nil: never.
    package var keepaliveInterval: Duration?
    /// A keepalive PING unanswered for this long closes the connection.
    package var keepaliveTimeout: Duration
    /// The request and response bytes all connections together may buffer (``BufferBudget``);
    /// a stream whose request does not fit ends with RESOURCE_EXHAUSTED.
    package var maxBufferedBytes: Int
    /// TLS for every connection (ALPN `h2`: `TransportTLS`'s `ServerTLSContext`); `nil`:
    /// plaintext HTTP/2 (h2c).
    package var tls: (any ServerConnectionSecurity)?

    /// Creates a configuration with gRPC's usual defaults.
    package init(
        host: String = "127.0.0.1",
        port: Int = 50051,
        maxReceiveMessageSize: Int = 4 << 20,
        http2: HTTP2Settings = HTTP2Settings(),
        streamChunkSize: Int = 32 << 10,
        maxConnections: Int = 10_000,
        idleTimeout: Duration? = .seconds(300),
        keepaliveInterval: Duration? = .seconds(7200),
        keepaliveTimeout: Duration = .seconds(20),
        maxBufferedBytes: Int = BufferBudget.defaultLimit(physicalMemory: BufferBudget.physicalMemory)
    ) {
        self.host = host
        self.port = port
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.http2 = http2
        self.streamChunkSize = streamChunkSize
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveTimeout = keepaliveTimeout
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// How many streams a client may open at once on one connection (``http2``'s
    /// SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with RST_STREAM(REFUSED_STREAM).
    package var maxConcurrentStreams: UInt32 {
        get { http2.maxConcurrentStreams }
        set { http2.maxConcurrentStreams = newValue }
    }

    /// The largest request header list accepted (``http2``'s SETTINGS_MAX_HEADER_LIST_SIZE);
    /// larger ones are reset with ENHANCE_YOUR_CALM.
    package var maxHeaderListSize: UInt32 {
        get { http2.maxHeaderListSize }
        set { http2.maxHeaderListSize = newValue }
    }
}
