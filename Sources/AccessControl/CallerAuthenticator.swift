import Synchronization

/// Turns a request's credentials into its ``Caller``: a bearer token (`--auth tokens` or
/// `--auth jwt`), else a client certificate listed in `--certificate-roles`; with
/// `--auth off`, every caller holds every power.
///
/// ```swift
/// let access = try await CallerAuthenticator.load(.tokens(path: "tokens.txt"))
/// switch access.authenticate(authorization: "Bearer s3cret", certificateIdentity: nil) { ... }
/// ```
///
/// ``reload()`` rereads the files (SIGHUP): tokens removed from them stop working at once.
package final class CallerAuthenticator: Sendable {
    /// How bearer tokens are checked.
    package enum Scheme: Sendable {
        /// No authentication: every caller may do everything (loopback development).
        case off
        /// SHA-256 digests of static tokens in a file (``StaticTokens``).
        case tokens(path: String)
        /// Signed JWTs.
        case jwt(JWTSettings)
    }

    private enum TokenCheck: Sendable {
        case tokens(StaticTokens)
        case jwt(JWTVerifier)
    }

    private struct Credentials: Sendable {
        /// nil with authentication off.
        var tokens: TokenCheck?
        var certificates: CertificateRoles
    }

    /// The scheme the server runs with.
    package let scheme: Scheme
    private let certificateRolesPath: String?
    private let credentials: Mutex<Credentials>

    private init(scheme: Scheme, certificateRolesPath: String?, credentials: Credentials) {
        self.scheme = scheme
        self.certificateRolesPath = certificateRolesPath
        self.credentials = Mutex(credentials)
    }

    /// Reads the files `scheme` and `certificateRolesPath` name.
    package static func load(_ scheme: Scheme, certificateRolesPath: String? = nil) async throws(AccessSetupError) -> CallerAuthenticator {
        let credentials = try await readCredentials(scheme, certificateRolesPath: certificateRolesPath)
        return CallerAuthenticator(scheme: scheme, certificateRolesPath: certificateRolesPath, credentials: credentials)
    }

    /// A server without authentication.
    package static let off = CallerAuthenticator(
        scheme: .off, certificateRolesPath: nil, credentials: Credentials(tokens: nil, certificates: CertificateRoles())
    )

    /// Whether callers must authenticate.
    package var isEnabled: Bool {
        if case .off = scheme { return false }
        return true
    }

    /// Rereads the files; on an error the previous credentials stay.
    package func reload() async throws(AccessSetupError) {
        let fresh = try await Self.readCredentials(scheme, certificateRolesPath: certificateRolesPath)
        credentials.withLock { $0 = fresh }
    }

    /// The caller of a request with this `authorization` metadata (or header) and, under mutual
    /// TLS, this client certificate identity.
    package func authenticate(authorization: String?, certificateIdentity: String?) -> Result<Caller, AuthenticationFailure> {
        let current = credentials.withLock { $0 }
        guard let check = current.tokens else {
            return .success(.unauthenticated(certificateIdentity: certificateIdentity))
        }
        guard let authorization else {
            guard let certificateIdentity else { return .failure(.missing) }
            return current.certificates.caller(forIdentity: certificateIdentity)
        }
        guard let token = Self.bearerToken(authorization) else { return .failure(.notBearer) }
        switch check {
        case .tokens(let tokens):
            return tokens.caller(forToken: token)
        case .jwt(let verifier):
            return verifier.caller(forToken: token)
        }
    }

    /// The token of `Bearer <token>` (the scheme's case ignored), or nil: a token is visible
    /// ASCII (what every JWT and hex or base64url token is made of).
    ///
    /// Read as bytes: it runs on every call, and Character-wise checks (grapheme breaking,
    /// Unicode properties) cost more than the rest of a cached GetWorkflow.
    static func bearerToken(_ authorization: String) -> Substring? {
        let bytes = authorization.utf8
        let scheme = "bearer ".utf8
        // Each byte the scheme's, or the upper case of one of its letters.
        guard bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ byte, expected in byte == expected || (expected >= 0x61 && byte == expected - 0x20) })
        else { return nil }
        let start = bytes.index(bytes.startIndex, offsetBy: scheme.count)
        guard bytes[start...].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return authorization[start...]
    }

    private static func readCredentials(_ scheme: Scheme, certificateRolesPath: String?) async throws(AccessSetupError) -> Credentials {
        let certificates = try certificateRolesPath.map { path throws(AccessSetupError) in try CertificateRoles(path: path) } ?? CertificateRoles()
        switch scheme {
        case .off:
            return Credentials(tokens: nil, certificates: certificates)
        case .tokens(let path):
            return Credentials(tokens: .tokens(try StaticTokens(path: path)), certificates: certificates)
        case .jwt(let settings):
            return Credentials(tokens: .jwt(try await JWTVerifier.load(settings)), certificates: certificates)
        }
    }
}
