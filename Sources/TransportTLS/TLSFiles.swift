import NIOSSL

/// Where a server's TLS credentials are: PEM files, read at start and again at each reload.
package struct TLSFiles: Sendable, Equatable {
    /// The server's certificate chain, leaf first.
    package var certificateChain: String
    /// The private key of the leaf certificate.
    package var privateKey: String
    /// The certificate authorities a client's certificate must chain to; `nil` to ask clients
    /// for none (server-only TLS).
    package var clientCertificateAuthorities: String?

    /// Creates the file locations.
    package init(certificateChain: String, privateKey: String, clientCertificateAuthorities: String? = nil) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCertificateAuthorities = clientCertificateAuthorities
    }
}

extension TLSFiles {
    /// The certificates of the PEM file at `path`.
    /// - Parameter role: What the file is, for the error.
    /// - Throws: ``TLSSetupError`` when it cannot be read or holds none.
    static func certificates(at path: String, role: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError("cannot read the \(role) \(path) (PEM): \(error)")
        }
        guard !certificates.isEmpty else {
            throw TLSSetupError("the \(role) \(path) holds no PEM certificate")
        }
        return certificates
    }

    /// The private key of the PEM file at `path`.
    /// - Throws: ``TLSSetupError`` when it cannot be read.
    static func privateKey(at path: String) throws(TLSSetupError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw TLSSetupError("cannot read the private key \(path) (PEM): \(error)")
        }
    }
}
