import Crypto

/// Tokens listed in a file (`--auth tokens`) by their SHA-256, so the file holds no secret:
///
/// ```
/// # sha256(token) in hex                                          subject  roles
/// 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 alice    user
/// 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 ci       operator,viewer
/// ```
///
/// A token is revoked by removing its line and sending workflowd SIGHUP.
struct StaticTokens: Sendable {
    private let callers: [String: Caller]

    init(path: String) throws(AccessSetupError) {
        var callers: [String: Caller] = [:]
        for (number, fields) in try CredentialLines.read(path) {
            guard fields.count == 3 else {
                throw AccessSetupError(path: path, reason: "line \(number): expected `<sha256 hex> <subject> <role,...>`")
            }
            let digest = fields[0].lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw AccessSetupError(path: path, reason: "line \(number): the first field must be a token's SHA-256 as 64 hex digits")
            }
            let roles = try CredentialLines.roles(fields[2], path: path, line: number)
            let subject = try CredentialLines.subject(fields[1], path: path, line: number)
            guard callers.updateValue(Caller(subject: subject, roles: roles), forKey: digest) == nil else {
                throw AccessSetupError(path: path, reason: "line \(number): the same token is listed twice")
            }
        }
        self.callers = callers
    }

    /// The caller a token stands for.
    func caller(forToken token: Substring) -> Result<Caller, AuthenticationFailure> {
        guard let caller = callers[Self.digest(of: token)] else {
            return .failure(AuthenticationFailure("unknown or revoked token"))
        }
        return .success(caller)
    }

    /// The token's SHA-256 in lowercase hex, as the file lists it.
    static func digest(of token: Substring) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(token.utf8)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
