import NIOCore
import NIOSSL

/// TLS for a client's connections: TLS 1.2 or later with ALPN `h2`, the server's certificate
/// verified against the given authorities (or the system's) and its name or IP address, and,
/// for mutual TLS, the client's own certificate.
///
/// ```swift
/// let tls = try ClientTLSContext(trustedAuthorities: "ca.crt")
/// try channel.pipeline.syncOperations.addHandlers(tls.makeHandlers(serverName: "localhost"))
/// ```
package final class ClientTLSContext: Sendable {
    private let context: NIOSSLContext

    /// Reads the credentials.
    /// - Parameters:
    ///   - trustedAuthorities: PEM certificates of the authorities the server's certificate
    ///     must chain to; `nil` for the system's.
    ///   - clientCertificate: The client's certificate chain and its private key (PEM files) for
    ///     mutual TLS; `nil` for none.
    /// - Throws: ``TLSSetupError`` naming the file that is missing or unreadable.
    package init(trustedAuthorities: String? = nil, clientCertificate: (chain: String, key: String)? = nil) throws(TLSSetupError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = TLSPolicy.minimumVersion
        configuration.cipherSuites = TLSPolicy.cipherSuites
        configuration.applicationProtocols = ["h2"]
        if let trustedAuthorities {
            configuration.trustRoots = .certificates(try TLSFiles.certificates(at: trustedAuthorities, role: "certificate authorities"))
        }
        if let clientCertificate {
            configuration.certificateChain = try TLSFiles.certificates(at: clientCertificate.chain, role: "certificate chain").map { .certificate($0) }
            configuration.privateKey = .privateKey(try TLSFiles.privateKey(at: clientCertificate.key))
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError("cannot use the client's TLS credentials: \(error)")
        }
    }

    /// The handlers that put a new connection to `serverName` behind TLS, first in its
    /// pipeline. A name is sent as SNI and must match the server's certificate; an IP address
    /// must be among its IP address names. A server that does not choose `h2` in ALPN fails the
    /// connection with ``ProtocolNotNegotiated``.
    package func makeHandlers(serverName: String) throws -> [any ChannelHandler] {
        let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
        return [
            try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : serverName),
            NegotiatedProtocolCheck(required: "h2"),
        ]
    }
}
