import NIOCore

/// What secures a server's connections (TLS, from `TransportTLS`), given by whoever owns the
/// credentials: the transport puts its handlers at the front of each connection's pipeline and
/// asks it who the peer is. The transport itself links no TLS library.
package protocol ServerConnectionSecurity: Sendable {
    /// The handlers for the front of a new HTTP/2 connection's pipeline.
    func makeHTTP2Handlers() -> [any ChannelHandler]
    /// Whether clients must present a certificate (mutual TLS).
    var requiresClientCertificates: Bool { get }
    /// The identity of the certificate `channel`'s peer presented and the handshake verified,
    /// if any. Called on the channel's event loop, after the handshake.
    func peerIdentity(of channel: any Channel) -> String?
}

/// What secures a client's connection (TLS, from `TransportTLS`).
package protocol ClientConnectionSecurity: Sendable {
    /// The handlers for the front of a new connection's pipeline to `serverName`.
    func makeHandlers(serverName: String) throws -> [any ChannelHandler]
}
