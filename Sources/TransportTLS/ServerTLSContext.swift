import NIOCore
import NIOSSL
import Synchronization

/// The TLS a server's new connections get: TLS 1.2 or later with forward-secret AEAD ciphers
/// only, the server's certificate, the application protocol of the port in ALPN, and, with
/// client certificate authorities, mutual TLS (a client without a certificate signed by one of
/// them fails the handshake). A handshake not done within ``handshakeTimeout`` closes the
/// connection.
///
/// One context serves both of a server's ports (``ApplicationProtocol``): ``reload()`` reads
/// the files once and replaces the credentials of both or, when anything cannot be used, of
/// neither. Connections accepted afterwards use the new credentials, open ones keep theirs, so
/// renewing a certificate drops no connection.
///
/// ```swift
/// let tls = try ServerTLSContext(files: files)
/// try channel.pipeline.syncOperations.addHandlers(tls.makeHandlers(for: .http2))
/// ```
package final class ServerTLSContext: Sendable {
    /// The protocol a port speaks, offered in ALPN.
    package enum ApplicationProtocol: Sendable, CaseIterable {
        /// gRPC: `h2`.
        case http2
        /// The HTTP side port: `http/1.1`.
        case http1

        var alpnName: String {
            switch self {
            case .http2: "h2"
            case .http1: "http/1.1"
            }
        }
    }

    /// The files the credentials come from.
    package let files: TLSFiles
    /// How long a new connection may take to finish its handshake before it is closed.
    package let handshakeTimeout: Duration
    private let contexts: Mutex<[ApplicationProtocol: NIOSSLContext]>

    /// Reads the credentials.
    /// - Parameters:
    ///   - files: The PEM files.
    ///   - handshakeTimeout: How long a new connection may take to finish its handshake.
    /// - Throws: ``TLSSetupError`` naming the file that is missing or unusable.
    package init(files: TLSFiles, handshakeTimeout: Duration = .seconds(10)) throws(TLSSetupError) {
        self.files = files
        self.handshakeTimeout = handshakeTimeout
        contexts = Mutex(try Self.makeContexts(files: files))
    }

    /// Whether clients must present a certificate.
    package var requiresClientCertificates: Bool {
        files.clientCertificateAuthorities != nil
    }

    /// Reads the files again for the connections accepted from now on, on both ports; on
    /// failure the previous credentials stay in use on both.
    /// - Throws: ``TLSSetupError`` naming the file that is missing or unusable.
    package func reload() throws(TLSSetupError) {
        let replacements = try Self.makeContexts(files: files)
        contexts.withLock { $0 = replacements }
    }

    /// The handlers that put a new connection of a port speaking `applicationProtocol` behind
    /// TLS: first in its pipeline, before whatever speaks that protocol.
    package func makeHandlers(for applicationProtocol: ApplicationProtocol) -> [any ChannelHandler] {
        let context = contexts.withLock { $0[applicationProtocol]! }
        return [NIOSSLServerHandler(context: context), HandshakeTimeoutHandler(timeout: handshakeTimeout)]
    }

    private static func makeContexts(files: TLSFiles) throws(TLSSetupError) -> [ApplicationProtocol: NIOSSLContext] {
        let chain = try TLSFiles.certificates(at: files.certificateChain, role: "certificate chain")
        let key = try TLSFiles.privateKey(at: files.privateKey)
        let authorities = try files.clientCertificateAuthorities.map { path throws(TLSSetupError) in
            try TLSFiles.certificates(at: path, role: "client certificate authorities")
        }
        var contexts: [ApplicationProtocol: NIOSSLContext] = [:]
        for applicationProtocol in ApplicationProtocol.allCases {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(key)
            )
            if let authorities {
                configuration.trustRoots = .certificates(authorities)
                configuration.certificateVerification = .noHostnameVerification
                configuration.sendCANameList = true
            }
            configuration.minimumTLSVersion = TLSPolicy.minimumVersion
            configuration.cipherSuites = TLSPolicy.cipherSuites
            configuration.applicationProtocols = [applicationProtocol.alpnName]
            do {
                contexts[applicationProtocol] = try NIOSSLContext(configuration: configuration)
            } catch {
                throw TLSSetupError(
                    "cannot use the certificate chain \(files.certificateChain) with the private key \(files.privateKey): \(error)"
                )
            }
        }
        return contexts
    }
}
