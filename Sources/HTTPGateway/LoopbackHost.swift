import NIOCore

/// The names and addresses that reach this machine only.
package enum LoopbackHost {
    /// Whether `host` names this machine only: `localhost`, or an address in 127.0.0.0/8,
    /// `::1` or an IPv4-mapped 127.0.0.0/8, however it is spelt (the address read back as the
    /// system writes it). Any other name counts as reachable from elsewhere: it may resolve to
    /// anything.
    package static func contains(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let address = (try? SocketAddress(ipAddress: host, port: 0))?.ipAddress else { return false }
        return address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}
