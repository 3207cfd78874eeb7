import NIOCore
import NIOSSL
import X509

/// Who is at the other end of a TLS connection, by the certificate it presented.
package enum PeerIdentity {
    /// The identity of the certificate the peer presented and the handshake verified: the
    /// subject's common name, else the whole subject (RFC 4514, e.g. `O=Example,OU=Billing`);
    /// nil without TLS or without a certificate.
    ///
    /// - Precondition: called on `channel`'s event loop, after the handshake.
    package static func of(_ channel: any Channel) -> String? {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let peer = handler.peerCertificate,
              let der = try? peer.toDERBytes(),
              let certificate = try? Certificate(derEncoded: der)
        else { return nil }
        return identity(of: certificate.subject)
    }

    /// A subject's common name, else the whole subject.
    static func identity(of subject: DistinguishedName) -> String {
        for relativeName in subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                let name = String(describing: attribute.value)
                if !name.isEmpty { return name }
            }
        }
        return String(describing: subject)
    }
}
