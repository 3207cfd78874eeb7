import Foundation
import Testing
@testable import AccessControl

@Suite("Static tokens and certificate roles")
struct CallerAuthenticatorTests {
    private static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func caller(_ authenticator: CallerAuthenticator, _ authorization: String?, certificate: String? = nil) -> Result<Caller, AuthenticationFailure> {
        authenticator.authenticate(authorization: authorization, certificateIdentity: certificate)
    }

    @Test("a listed token is its subject and roles; missing, malformed and unknown ones are refused with distinct messages")
    func tokens() async throws {
        let path = try Self.file("""
            # sha256(token)  subject  roles
            \(StaticTokens.digest(of: "alice-secret")) alice user
            \(StaticTokens.digest(of: "ops-secret").uppercased()) ops operator,viewer   # upper-case hex is fine
            """)
        let access = try await CallerAuthenticator.load(.tokens(path: path))
        #expect(try Self.caller(access, "Bearer alice-secret").get() == Caller(subject: "alice", roles: [.user]))
        #expect(try Self.caller(access, "bearer ops-secret").get() == Caller(subject: "ops", roles: [.operator, .viewer]))
        #expect(Self.caller(access, nil) == .failure(.missing))
        #expect(Self.caller(access, "Basic YWxpY2U=") == .failure(.notBearer))
        #expect(Self.caller(access, "Bearer ") == .failure(.notBearer))
        #expect(Self.caller(access, "Bearer alice-secret extra") == .failure(.notBearer))
        #expect(Self.caller(access, "BEARER alice-secret").map(\.subject) == .success("alice"))
        #expect(Self.caller(access, "Bearer\u{0}alice-secret") == .failure(.notBearer))
        #expect(Self.caller(access, "Bearer alice-secrët") == .failure(.notBearer))
        #expect(Self.caller(access, "Bearer\talice-secret") == .failure(.notBearer))
        #expect(Self.caller(access, "Bearer alice-secreT") == .failure(AuthenticationFailure("unknown or revoked token")))
    }

    @Test("a reload revokes a removed token at once; a broken file on reload keeps the tokens in use")
    func reloadRevokes() async throws {
        let path = try Self.file("\(StaticTokens.digest(of: "a")) alice user\n\(StaticTokens.digest(of: "b")) bob user\n")
        let access = try await CallerAuthenticator.load(.tokens(path: path))
        #expect((try? Self.caller(access, "Bearer b").get()) != nil)
        try "\(StaticTokens.digest(of: "a")) alice user\n".write(toFile: path, atomically: true, encoding: .utf8)
        try await access.reload()
        #expect(Self.caller(access, "Bearer b") == .failure(AuthenticationFailure("unknown or revoked token")))
        try "not a token file\n".write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(throws: AccessSetupError.self) { try await access.reload() }
        #expect((try? Self.caller(access, "Bearer a").get()) == Caller(subject: "alice", roles: [.user]))
    }

    @Test("unusable token files name the file and the line")
    func badFiles() async throws {
        let digest = StaticTokens.digest(of: "x")
        for (text, reason) in [
            ("\(digest) alice\n", "line 1: expected `<sha256 hex> <subject> <role,...>`"),
            ("# ok\n\nabc alice user\n", "line 3: the first field must be a token's SHA-256 as 64 hex digits"),
            ("\(digest) alice user,root\n", "line 1: unknown role 'root' (admin, operator, user, viewer or worker:<queue>)"),
            ("\(digest) alice user\n\(digest) bob user\n", "line 2: the same token is listed twice"),
            ("\(digest) al\u{7}ice user\n", "line 1: a subject must be 1 to 256 bytes of printable characters on one line"),
        ] {
            let path = try Self.file(text)
            do {
                _ = try await CallerAuthenticator.load(.tokens(path: path))
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description == "\(path): \(reason)")
            }
        }
        await #expect(throws: AccessSetupError.self) { try await CallerAuthenticator.load(.tokens(path: "/nonexistent/tokens")) }
    }

    @Test("a client certificate without a token is the identity its line gives roles to; a token always decides")
    func certificates() async throws {
        let tokens = try Self.file("\(StaticTokens.digest(of: "t")) alice user\n")
        let certificates = try Self.file("svc-orders operator\r\nImport Worker  worker:imports,worker:exports\r\n")
        let access = try await CallerAuthenticator.load(.tokens(path: tokens), certificateRolesPath: certificates)
        #expect(try Self.caller(access, nil, certificate: "svc-orders").get() == Caller(subject: "svc-orders", roles: [.operator]))
        #expect(try Self.caller(access, "Bearer t", certificate: "svc-orders").get().subject == "alice")
        #expect(try Self.caller(access, nil, certificate: "Import Worker").get().roles == [.worker(queue: "imports"), .worker(queue: "exports")])
        #expect(Self.caller(access, "Bearer nope", certificate: "svc-orders") == .failure(AuthenticationFailure("unknown or revoked token")))
        guard case .failure(let failure) = Self.caller(access, nil, certificate: "svc-intruder") else {
            Issue.record("an unlisted certificate was accepted")
            return
        }
        #expect(failure.message.contains("svc-intruder") && failure.message.contains("--certificate-roles"))
    }

    @Test("with authentication off every caller may do everything, named by its certificate if any")
    func off() {
        let caller = try? CallerAuthenticator.off.authenticate(authorization: "Bearer anything", certificateIdentity: "svc-orders").get()
        #expect(caller == .unauthenticated(certificateIdentity: "svc-orders"))
        #expect(!CallerAuthenticator.off.isEnabled)
    }
}
