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

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - callTimeout: The deadline of each unary call and TCP connect.
    ///   - reconnect: How a watch reconnects.
    ///   - tls: TLS for every connection; `nil` for plaintext.
    package init(
        address: ServerAddress, callTimeout: Duration = .seconds(10), reconnect: ReconnectBackoff = ReconnectBackoff(),
        tls: ClientTLSContext? = nil
    ) {
        self.address = address
        self.callTimeout = callTimeout
        self.reconnect = reconnect
        self.tls = tls
    }

    /// TLS from the command line's files: the server's certificate checked against
    /// `trustedAuthorities` (the system's when `nil`), and the client's own certificate for
    /// mutual TLS.
    /// - Throws: ``CommandFailure`` (a usage error) naming a file that cannot be used.
    package static func tls(trustedAuthorities: String?, certificateChain: String?, privateKey: String?) throws(CommandFailure) -> ClientTLSContext {
        guard (certificateChain == nil) == (privateKey == nil) else {
            throw .usage("--tls-cert and --tls-key go together")
        }
        do {
            return try ClientTLSContext(trustedAuthorities: trustedAuthorities, certificateChain: certificateChain, privateKey: privateKey)
        } catch {
            throw .usage(error.description)
        }
    }
}
