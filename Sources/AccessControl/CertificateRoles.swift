/// The roles of callers that present a client certificate and no token (mutual TLS with
/// `--certificate-roles`): one line per certificate identity (its subject's common name, else
/// the whole subject, which may hold spaces: the roles are the line's last field):
///
/// ```
/// # certificate identity   roles
/// billing-service          operator
/// Import Worker            worker:imports,worker:exports
/// ```
struct CertificateRoles: Sendable {
    private let roles: [String: Set<Role>]

    init() {
        roles = [:]
    }

    init(path: String) throws(AccessSetupError) {
        var roles: [String: Set<Role>] = [:]
        for (number, fields) in try CredentialLines.read(path) {
            guard fields.count >= 2, let last = fields.last else {
                throw AccessSetupError(path: path, reason: "line \(number): expected `<certificate identity> <role,...>`")
            }
            let identity = fields.dropLast().joined(separator: " ")
            _ = try CredentialLines.subject(Substring(identity), path: path, line: number)
            guard roles.updateValue(try CredentialLines.roles(last, path: path, line: number), forKey: identity) == nil else {
                throw AccessSetupError(path: path, reason: "line \(number): \(identity) is listed twice")
            }
        }
        self.roles = roles
    }

    /// The caller a certificate with this identity stands for.
    func caller(forIdentity identity: String) -> Result<Caller, AuthenticationFailure> {
        guard let roles = roles[identity] else {
            return .failure(AuthenticationFailure(
                "the client certificate of '\(identity)' has no roles on this server: send a token, or list it in --certificate-roles"
            ))
        }
        return .success(Caller(subject: identity, roles: roles))
    }
}
