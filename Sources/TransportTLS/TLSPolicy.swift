import NIOSSL

/// What every TLS connection of this project accepts, client or server.
enum TLSPolicy {
    /// TLS 1.2 and 1.3 only.
    static let minimumVersion = TLSVersion.tlsv12

    /// The TLS 1.2 suites offered: ephemeral key exchange and AEAD only, none of the CBC or
    /// static-RSA suites that HTTP/2 forbids (RFC 9113, appendix A). TLS 1.3's suites all
    /// qualify and are not configured by this list.
    static let cipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
}
