import AccessControl
import RPCCore

/// The caller of a long-lived call (a watch, a worker's stream) and a way to ask, as the call
/// goes on, whether the credentials it opened with still stand: a token revoked (SIGHUP) or
/// expired since, or whose roles changed, ends the call instead of serving it on.
///
/// ```swift
/// if let ended = check.revocation() { return .finished(ended) }
/// ```
struct CallerCheck: Sendable {
    /// Who opened the call.
    let caller: Caller
    private let authenticator: CallerAuthenticator
    private let authorization: String?
    private let certificateIdentity: String?

    init(caller: Caller, authenticator: CallerAuthenticator, authorization: String?, certificateIdentity: String?) {
        self.caller = caller
        self.authenticator = authenticator
        self.authorization = authorization
        self.certificateIdentity = certificateIdentity
    }

    /// A check that never ends the call: for callers of the service's handlers in tests and
    /// for servers without authentication.
    static func unchecked(_ caller: Caller) -> CallerCheck {
        CallerCheck(caller: caller, authenticator: .off, authorization: nil, certificateIdentity: nil)
    }

    /// The status that ends the call if its credentials no longer stand as they did when it
    /// opened (revoked, expired, another subject, a role taken away); nil while they do, also
    /// when roles were only added. Costs what authenticating a unary call costs (a SHA-256 of a
    /// static token, a cache lookup for a verified JWT).
    func revocation() -> RPCStatus? {
        guard authenticator.isEnabled else { return nil }
        switch authenticator.authenticate(authorization: authorization, certificateIdentity: certificateIdentity) {
        case .failure(let failure):
            // The words a new call would get, so a client handles both alike.
            return RPCStatus(code: .unauthenticated, message: failure.message)
        case .success(let current) where current.subject != caller.subject || !current.roles.isSuperset(of: caller.roles):
            return RPCStatus(
                code: .unauthenticated,
                message: "the credentials now stand for \(current.subject) with roles \(current.roleNames.joined(separator: ",")), not what this call began with: call again"
            )
        case .success:
            return nil
        }
    }
}
