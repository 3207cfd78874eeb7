/// How every command reaches the server: the address, the deadline of a call, and how a watch
/// reconnects.
package struct ClientOptions: Sendable {
    /// Where the server listens.
    package var address: ServerAddress
    /// The deadline of each unary call and TCP connect.
    package var callTimeout: Duration
    /// How a watch reconnects after losing the connection.
    package var reconnect: ReconnectBackoff

    /// Creates the options.
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - callTimeout: The deadline of each unary call and TCP connect.
    ///   - reconnect: How a watch reconnects.
    package init(address: ServerAddress, callTimeout: Duration = .seconds(10), reconnect: ReconnectBackoff = ReconnectBackoff()) {
        self.address = address
        self.callTimeout = callTimeout
        self.reconnect = reconnect
    }
}
