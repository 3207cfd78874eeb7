import TransportTLS

/// How every command reaches the server: the address, the deadline of a call, and how a watch
/// reconnects.
package struct ClientOptions: Sendable {
    /// Where the server listens.
    package var address: ServerAddress
    /// The deadline of each unary call and TCP connect.
    package var callTimeout: Duration
    /// How a watch reconnects after losing the connection.
    package var reconnect: ReconnectBackoff
    /// TLS for every connection; `nil` for plaintext.
    package var tls: ClientTLSContext?
    /// The bearer token sent with every call (`authorization: Bearer <token>`); `nil`: none.
    package var token: String?

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - callTimeout: The deadline of each unary call and TCP connect.
    ///   - reconnect: How a watch reconnects.
    ///   - tls: TLS for every connection; `nil` for plaintext.
    package init(
        address: ServerAddress, callTimeout: Duration = .seconds(10), reconnect: ReconnectBackoff = ReconnectBackoff(),
        tls: ClientTLSContext? = nil,
        token: String? = nil
    ) {
        self.address = address
        self.callTimeout = callTimeout
        self.reconnect = reconnect
        self.tls = tls
        self.token = token
    }

    /// The environment variable that stands in for `--token`.
    package static let tokenEnvironmentVariable = "WORKFLOWCTL_TOKEN"

    /// The bearer token from `--token`, else `$WORKFLOWCTL_TOKEN`; `nil` for none.
    /// - Throws: ``CommandFailure`` (a usage error) for a token no server could take: empty
    ///   or with whitespace or control characters in it.
    package static func token(option: String?, environment: [String: String]) throws(CommandFailure) -> String? {
        guard let token = option ?? environment[tokenEnvironmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        guard !token.isEmpty, token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .usage("--token (or \(tokenEnvironmentVariable)) must be a bearer token: visible ASCII characters, no spaces")
        }
        return token
    }

    /// The environment variables that stand in for `--tls-ca`, `--tls-cert` and `--tls-key`
    /// (each file also turns TLS on); `WORKFLOWCTL_TLS=1` stands in for `--tls`.
    package static let tlsEnvironmentVariables = (
        enabled: "WORKFLOWCTL_TLS", authorities: "WORKFLOWCTL_TLS_CA", certificate: "WORKFLOWCTL_TLS_CERT", key: "WORKFLOWCTL_TLS_KEY"
    )

    /// TLS as the command line asks for it, the environment filling in what the options leave
    /// out: the server's certificate checked against the authorities given (the system's
    /// without), and the client's own certificate for mutual TLS; `nil` for plaintext.
    /// - Throws: ``CommandFailure`` (a usage error) naming a file that cannot be used.
    package static func tls(
        requested: Bool, trustedAuthorities: String?, certificateChain: String?, privateKey: String?,
        environment: [String: String]
    ) throws(CommandFailure) -> ClientTLSContext? {
        let names = tlsEnvironmentVariables
        func fromEnvironment(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        let authorities = trustedAuthorities ?? fromEnvironment(names.authorities)
        let certificate = certificateChain ?? fromEnvironment(names.certificate)
        let key = privateKey ?? fromEnvironment(names.key)
        let enabled = requested || fromEnvironment(names.enabled) == "1"
        guard enabled || authorities != nil || certificate != nil || key != nil else { return nil }
        let clientCertificate: (chain: String, key: String)?
        switch (certificate, key) {
        case (nil, nil): clientCertificate = nil
        case let (chain?, key?): clientCertificate = (chain, key)
        default: throw .usage("--tls-cert and --tls-key go together (or \(names.certificate) and \(names.key))")
        }
        do {
            return try ClientTLSContext(trustedAuthorities: authorities, clientCertificate: clientCertificate)
        } catch {
            throw .usage(error.description)
        }
    }
}
