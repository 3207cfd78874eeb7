import Crypto

extension SHA256.Digest {
    /// The digest as 64 lowercase hex digits, as the server writes checksums.
    var hex: String {
        map { String(format: "%02x", $0) }.joined()
    }
}
