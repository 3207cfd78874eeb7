/// Where `--auth jwt` finds its keys and which audience tokens must name.
package struct JWTSettings: Sendable {
    /// A file whose content (surrounding whitespace trimmed) is the HS256 secret: at least 32 bytes.
    package var secretFile: String?
    /// A PEM file of public keys or certificates, P-256 (ES256) or RSA (RS256), any number.
    package var publicKeysFile: String?
    /// The `aud` a token must include.
    package var audience: String
    /// How far clocks may disagree when `exp` and `nbf` are checked.
    package var clockSkew: Duration

    package init(secretFile: String? = nil, publicKeysFile: String? = nil, audience: String = "workflowd", clockSkew: Duration = .seconds(30)) {
        self.secretFile = secretFile
        self.publicKeysFile = publicKeysFile
        self.audience = audience
        self.clockSkew = clockSkew
    }
}
