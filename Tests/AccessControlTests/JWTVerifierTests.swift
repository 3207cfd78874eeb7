import Foundation
import JWTKit
import Testing
@testable import AccessControl

@Suite("JWTs")
struct JWTVerifierTests {
    /// What a token issuer puts in a token; every claim optional so a test can leave one out.
    private struct Claims: JWTPayload {
        var sub: SubjectClaim?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var aud: AudienceClaim?
        var roles: [String]?

        init(sub: String? = "alice", expiresIn: TimeInterval? = 600, notBeforeIn: TimeInterval? = nil, aud: [String]? = ["workflowd"], roles: [String]? = ["user"]) {
            self.sub = sub.map(SubjectClaim.init(value:))
            self.exp = expiresIn.map { ExpirationClaim(value: Date().addingTimeInterval($0)) }
            self.nbf = notBeforeIn.map { NotBeforeClaim(value: Date().addingTimeInterval($0)) }
            self.aud = aud.map(AudienceClaim.init(value:))
            self.roles = roles
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private static let secret = "an HS256 secret of at least 32 bytes, surely"

    private static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func hs256(_ claims: Claims, secret: String = secret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    private static func es256(_ claims: Claims, key: ES256PrivateKey) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key)
        return try await keys.sign(claims)
    }

    private static func authenticate(_ access: CallerAuthenticator, _ token: String) -> Result<Caller, AuthenticationFailure> {
        access.authenticate(authorization: "Bearer \(token)", certificateIdentity: nil)
    }

    private static func refusal(_ access: CallerAuthenticator, _ token: String) -> String? {
        guard case .failure(let failure) = authenticate(access, token) else { return nil }
        return failure.message
    }

    @Test("HS256 and ES256 tokens are their sub with their roles; every broken claim is refused with its own message")
    func verification() async throws {
        let signingKey = ES256PrivateKey()
        let access = try await CallerAuthenticator.load(.jwt(JWTSettings(
            secretFile: try Self.file("  \(Self.secret)\n"), publicKeysFile: try Self.file(signingKey.publicKey.pemRepresentation)
        )))
        #expect(try Self.authenticate(access, try await Self.hs256(Claims())).get() == Caller(subject: "alice", roles: [.user]))
        let worker = try await Self.es256(Claims(sub: "importer", roles: ["worker:imports"]), key: signingKey)
        #expect(try Self.authenticate(access, worker).get() == Caller(subject: "importer", roles: [.worker(queue: "imports")]))

        #expect(Self.refusal(access, try await Self.hs256(Claims(expiresIn: -120))) == "the token has expired")
        #expect(Self.refusal(access, try await Self.hs256(Claims(expiresIn: nil))) == "the token has no exp claim")
        #expect(Self.refusal(access, try await Self.hs256(Claims(notBeforeIn: 120))) == "the token is not valid yet (nbf)")
        #expect(Self.refusal(access, try await Self.hs256(Claims(aud: ["someone-else"]))) == "the token's audience (aud) does not include workflowd")
        #expect(Self.refusal(access, try await Self.hs256(Claims(aud: nil))) == "the token's audience (aud) does not include workflowd")
        #expect(Self.refusal(access, try await Self.hs256(Claims(sub: nil))) == "the token has no subject (sub)")
        #expect(Self.refusal(access, try await Self.hs256(Claims(roles: ["user", "root"])))?.contains("unknown role 'root'") == true)
        #expect(Self.refusal(access, try await Self.hs256(Claims(), secret: "another secret of at least 32 bytes!!")) == "the token's signature does not verify")
        #expect(Self.refusal(access, try await Self.es256(Claims(), key: ES256PrivateKey())) == "the token's signature does not verify")
        #expect(Self.refusal(access, "not.a.jwt") == "the token is not a well-formed JWT")
        // Within the allowed clock skew an expired token still counts.
        #expect((try? Self.authenticate(access, try await Self.hs256(Claims(expiresIn: -5))).get()) != nil)
    }

    @Test("alg none, and an algorithm without a key, are refused")
    func algorithms() async throws {
        let access = try await CallerAuthenticator.load(.jwt(JWTSettings(secretFile: try Self.file(Self.secret))))
        let payload = Data(#"{"sub":"alice","exp":4102444800,"aud":"workflowd","roles":["admin"]}"#.utf8).base64URLEncodedString()
        let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString()
        #expect(Self.refusal(access, "\(none).\(payload).") == "the token is signed with none, for which this server has no key")
        let es256 = try await Self.es256(Claims(), key: ES256PrivateKey())
        #expect(Self.refusal(access, es256) == "the token is signed with ES256, for which this server has no key")
    }

    @Test("a reload forgets verified tokens: a key removed from the file stops working at once")
    func rotation() async throws {
        let old = ES256PrivateKey()
        let path = try Self.file(old.publicKey.pemRepresentation)
        let access = try await CallerAuthenticator.load(.jwt(JWTSettings(publicKeysFile: path)))
        let token = try await Self.es256(Claims(), key: old)
        #expect((try? Self.authenticate(access, token).get()) != nil)
        #expect((try? Self.authenticate(access, token).get()) != nil)  // from the cache
        try ES256PrivateKey().publicKey.pemRepresentation.write(toFile: path, atomically: true, encoding: .utf8)
        try await access.reload()
        #expect(Self.refusal(access, token) == "the token's signature does not verify")
    }

    @Test("a verified token is remembered only until it expires")
    func cacheEndsAtExpiry() async throws {
        let verifier = try await JWTVerifier.load(JWTSettings(secretFile: try Self.file(Self.secret), clockSkew: .seconds(30)))
        let token = try await Self.hs256(Claims(expiresIn: 60))
        #expect((try? verifier.caller(forToken: Substring(token)).get()) != nil)
        #expect((try? verifier.caller(forToken: Substring(token), now: Date().addingTimeInterval(80)).get()) != nil, "within the skew")
        let later = verifier.caller(forToken: Substring(token), now: Date().addingTimeInterval(120))
        #expect(later == .failure(AuthenticationFailure("the token has expired")))
    }

    @Test("subjects that would garble events and messages are refused")
    func subjects() async throws {
        let access = try await CallerAuthenticator.load(.jwt(JWTSettings(secretFile: try Self.file(Self.secret))))
        let message = "the token's subject (sub) must be 1 to 256 bytes of printable characters on one line"
        #expect(Self.refusal(access, try await Self.hs256(Claims(sub: "alice\nWorkflow TEST started by root"))) == message)
        #expect(Self.refusal(access, try await Self.hs256(Claims(sub: "alice\u{2028}by root"))) == message)
        #expect(Self.refusal(access, try await Self.hs256(Claims(sub: String(repeating: "a", count: 257)))) == message)
        #expect((try? Self.authenticate(access, try await Self.hs256(Claims(sub: "Zoë ✓"))).get())?.subject == "Zoë ✓")
    }

    @Test("unusable key files are refused at load")
    func badKeys() async throws {
        await #expect(throws: AccessSetupError.self) {
            try await CallerAuthenticator.load(.jwt(JWTSettings(secretFile: try Self.file("short"))))
        }
        await #expect(throws: AccessSetupError.self) {
            try await CallerAuthenticator.load(.jwt(JWTSettings(publicKeysFile: try Self.file("no PEM here"))))
        }
        await #expect(throws: AccessSetupError.self) {
            try await CallerAuthenticator.load(.jwt(JWTSettings()))
        }
    }
}

private extension Data {
    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
