import NIOCore
import NIOSSL
import Synchronization

/// The TLS a server's new connections get: TLS 1.2 or later, the server's certificate, the
/// application protocols it offers in ALPN, and, with client certificate authorities, mutual
/// TLS (a client without a certificate signed by one of them fails the handshake).
///
/// ``reload()`` reads the files again; connections accepted afterwards use the new
/// credentials, open ones keep theirs, so renewing a certificate drops no connection.
///
/// ```swift
/// let tls = try ServerTLSContext(files: files, applicationProtocols: ["h2"])
/// try channel.pipeline.syncOperations.addHandlers(tls.makeHandlers())
/// ```
package final class ServerTLSContext: Sendable {
    /// The files the credentials come from.
    package let files: TLSFiles
    /// The ALPN protocols offered, most preferred first.
    package let applicationProtocols: [String]
    private let current: Mutex<NIOSSLContext>

    /// Reads the credentials.
    /// - Throws: ``TLSSetupError`` naming the file that is missing or unreadable.
    package init(files: TLSFiles, applicationProtocols: [String]) throws(TLSSetupError) {
        self.files = files
        self.applicationProtocols = applicationProtocols
        current = Mutex(try Self.makeContext(files: files, applicationProtocols: applicationProtocols))
    }

    /// Whether clients must present a certificate.
    package var requiresClientCertificates: Bool {
        files.clientCertificateAuthorities != nil
    }

    /// Reads the files again for the connections accepted from now on; on failure the previous
    /// credentials stay in use.
    /// - Throws: ``TLSSetupError`` naming the file that is missing or unreadable.
    package func reload() throws(TLSSetupError) {
        let context = try Self.makeContext(files: files, applicationProtocols: applicationProtocols)
        current.withLock { $0 = context }
    }

    /// The handlers that put a new connection behind TLS: first in its pipeline, before
    /// whatever speaks the application protocol.
    package func makeHandlers() -> [any ChannelHandler] {
        let context = current.withLock { $0 }
        return [NIOSSLServerHandler(context: context)]
    }

    private static func makeContext(files: TLSFiles, applicationProtocols: [String]) throws(TLSSetupError) -> NIOSSLContext {
        let chain = try TLSFiles.certificates(at: files.certificateChain, role: "certificate chain")
        let key = try TLSFiles.privateKey(at: files.privateKey)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        if let authorities = files.clientCertificateAuthorities {
            let roots = try TLSFiles.certificates(at: authorities, role: "client certificate authorities")
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = applicationProtocols
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(
                "cannot use the certificate chain \(files.certificateChain) with the private key \(files.privateKey): \(error)"
            )
        }
    }
}
