import NGHTTP2

/// How a ``GRPCClient`` connects and the limits it enforces.
package struct GRPCClientConfiguration: Sendable {
    /// Largest response message accepted; a larger one ends the call with RESOURCE_EXHAUSTED.
    package var maxReceiveMessageSize: Int
    /// The HTTP/2 settings the connection advertises. `initialWindowSize` is how much one
    /// stream's server may send ahead of what the client has read from the socket.
    package var http2: HTTP2Settings
    /// How many bytes of received messages one server-streaming call may hold for a consumer
    /// that does not keep up before the client stops reading from the connection.
    ///
    /// libnghttp2 grants flow-control window as soon as bytes are read from the socket, so the
    /// client bounds its memory by pausing socket reads: a server then stalls once it used up
    /// its window. The pause holds the whole connection, not only the slow stream; give a
    /// long-lived stream that is read slowly its own client.
    package var maxBufferedResponseBytes: Int
    /// How long ``GRPCClient/connect(host:port:group:configuration:logger:)`` waits for TCP.
    package var connectTimeout: Duration
    /// The `user-agent` sent with every call.
    package var userAgent: String
    /// TLS for the connection (`:scheme https`); `nil`: plaintext HTTP/2.
    package var tls: (any ClientConnectionSecurity)?
    /// Metadata sent with every call before the call's own, such as
    /// `("authorization", "Bearer <token>")`.
    package var callMetadata: [(String, String)] = []

    /// Creates a configuration with gRPC's usual defaults.
    package init(
        maxReceiveMessageSize: Int = 4 << 20,
        http2: HTTP2Settings = HTTP2Settings(maxConcurrentStreams: 100),
        maxBufferedResponseBytes: Int = 256 << 10,
        connectTimeout: Duration = .seconds(10),
        userAgent: String = "workflowengine-swift/0.1",
        tls: (any ClientConnectionSecurity)? = nil
    ) {
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.http2 = http2
        self.maxBufferedResponseBytes = maxBufferedResponseBytes
        self.connectTimeout = connectTimeout
        self.userAgent = userAgent
        self.tls = tls
    }
}
