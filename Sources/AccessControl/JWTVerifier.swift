import Foundation
import JWTKit
import Synchronization

/// Verifies JWTs with jwt-kit: the signature with the key for the token's `alg` (HS256 from
/// the secret file, ES256 and RS256 from the public keys file; `none` and every other
/// algorithm refused), then `exp` (required), `nbf` and `aud`; the caller is `sub` with the
/// roles of the `roles` array claim.
///
/// Verifying a signature costs tens of microseconds with a public key, so a verified token's
/// caller is remembered until the token expires (at most ``cacheLimit`` tokens; a reload
/// starts with none, so a key removed from the files stops working at once).
final class JWTVerifier: Sendable {
    static let cacheLimit = 4096

    private let keys: [(name: String, algorithm: any JWTAlgorithm)]
    private let settings: JWTSettings
    private let verified = Mutex<[String: (caller: Caller, expiresAt: Date)]>([:])

    private init(keys: [(name: String, algorithm: any JWTAlgorithm)], settings: JWTSettings) {
        self.keys = keys
        self.settings = settings
    }

    /// Reads the keys the settings name.
    static func load(_ settings: JWTSettings) async throws(AccessSetupError) -> JWTVerifier {
        let collection = JWTKeyCollection()
        var kids: [String] = []
        if let path = settings.secretFile {
            let secret = try readSecret(path)
            await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "secret")
            kids.append("secret")
        }
        if let path = settings.publicKeysFile {
            for (index, block) in try pemBlocks(path).enumerated() {
                let kid = "public-\(index)"
                if let key = (try? ES256PublicKey(pem: block)) ?? (try? ES256PublicKey(certificate: block)) {
                    await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
                } else if let key = (try? Insecure.RSA.PublicKey(pem: block)) ?? (try? Insecure.RSA.PublicKey(certificatePEM: block)) {
                    await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
                } else {
                    throw AccessSetupError(path: path, reason: "PEM block \(index + 1) is neither a P-256 nor an RSA public key or certificate")
                }
                kids.append(kid)
            }
        }
        guard !kids.isEmpty else {
            throw AccessSetupError(path: "(no file)", reason: "--auth jwt needs --jwt-secret-file or --jwt-public-keys")
        }
        var keys: [(name: String, algorithm: any JWTAlgorithm)] = []
        for kid in kids {
            do {
                let algorithm = try await collection.getKey(for: JWKIdentifier(string: kid))
                keys.append((algorithm.name, algorithm))
            } catch {
                let path = kid == "secret" ? settings.secretFile : settings.publicKeysFile
                throw AccessSetupError(path: path ?? kid, reason: "jwt-kit refused the key \(kid): \(error)")
            }
        }
        return JWTVerifier(keys: keys, settings: settings)
    }

    /// The caller `token` stands for, or why it stands for no one.
    func caller(forToken token: Substring, now: Date = Date()) -> Result<Caller, AuthenticationFailure> {
        let key = String(token)
        let cached = verified.withLock { $0[key] }
        if let cached, cached.expiresAt.addingTimeInterval(skewSeconds) > now {
            return .success(cached.caller)
        }
        let result = verify(Array(token.utf8), now: now)
        if case .success(let (caller, expiresAt)) = result {
            verified.withLock { cache in
                if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
                cache[key] = (caller, expiresAt)
            }
        }
        return result.map(\.caller)
    }

    private var skewSeconds: TimeInterval {
        let (seconds, attoseconds) = settings.clockSkew.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    private func verify(_ token: [UInt8], now: Date) -> Result<(caller: Caller, expiresAt: Date), AuthenticationFailure> {
        let parsed: (header: JWTHeader, payload: CallerClaims, signature: Data)
        do {
            parsed = try DefaultJWTParser().parse(token, as: CallerClaims.self)
        } catch {
            return .failure(AuthenticationFailure("the token is not a well-formed JWT"))
        }
        guard let algorithmName = parsed.header.alg else {
            return .failure(AuthenticationFailure("the token's header names no alg"))
        }
        let candidates = keys.filter { $0.name == algorithmName }
        guard !candidates.isEmpty else {
            let shown = Subject.isAcceptable(algorithmName) && algorithmName.count <= 16 ? algorithmName : "an unknown algorithm"
            return .failure(AuthenticationFailure("the token is signed with \(shown), for which this server has no key"))
        }
        let signingInput = token[..<lastPeriod(token)]
        guard candidates.contains(where: { (try? $0.algorithm.verify(parsed.signature, signs: signingInput)) == true }) else {
            return .failure(AuthenticationFailure("the token's signature does not verify"))
        }
        let claims = parsed.payload
        guard let expiration = claims.exp else {
            return .failure(AuthenticationFailure("the token has no exp claim"))
        }
        guard expiration.value.addingTimeInterval(skewSeconds) > now else {
            return .failure(AuthenticationFailure("the token has expired"))
        }
        if let notBefore = claims.nbf, notBefore.value.addingTimeInterval(-skewSeconds) > now {
            return .failure(AuthenticationFailure("the token is not valid yet (nbf)"))
        }
        guard let audience = claims.aud, audience.value.contains(settings.audience) else {
            return .failure(AuthenticationFailure("the token's audience (aud) does not include \(settings.audience)"))
        }
        guard let subject = claims.sub?.value, !subject.isEmpty else {
            return .failure(AuthenticationFailure("the token has no subject (sub)"))
        }
        guard Subject.isAcceptable(subject) else {
            return .failure(AuthenticationFailure("the token's subject (sub) must be \(Subject.requirement)"))
        }
        var roles: Set<Role> = []
        for name in claims.roles ?? [] {
            guard let role = Role(name) else {
                return .failure(AuthenticationFailure("the token's roles claim has \(UnknownRole(name: name))"))
            }
            roles.insert(role)
        }
        return .success((Caller(subject: subject, roles: roles), expiration.value))
    }

    private func lastPeriod(_ token: [UInt8]) -> Int {
        token.lastIndex(of: UInt8(ascii: ".")) ?? token.endIndex
    }

    private static func readSecret(_ path: String) throws(AccessSetupError) -> String {
        let secret: String
        do {
            secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw AccessSetupError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard secret.utf8.count >= 32 else {
            throw AccessSetupError(path: path, reason: "an HS256 secret must be at least 32 bytes")
        }
        return secret
    }

    /// The PEM blocks (`-----BEGIN …-----` to `-----END …-----`) of a file, each whole.
    private static func pemBlocks(_ path: String) throws(AccessSetupError) -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AccessSetupError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN ") {
                current = [Substring(line)]
            } else if line.hasPrefix("-----END "), var block = current {
                block.append(Substring(line))
                blocks.append(block.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current?.append(Substring(line))
            }
        }
        guard !blocks.isEmpty else {
            throw AccessSetupError(path: path, reason: "holds no PEM block")
        }
        return blocks
    }
}

/// The claims workflowd reads from a token; checked by ``JWTVerifier`` rather than here, so
/// each failure gets its own message.
private struct CallerClaims: JWTPayload {
    var sub: SubjectClaim?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var aud: AudienceClaim?
    var roles: [String]?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
