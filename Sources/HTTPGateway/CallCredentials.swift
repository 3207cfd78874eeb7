import HTTPTypes
import Hummingbird
import NIOCore
import RPCCore
import TransportTLS

/// What an HTTP request carries to say who sends it, as the RPC handlers read it: the
/// `authorization` metadata (from the `Authorization` header, or the console's session
/// cookie) and, under mutual TLS, the client certificate's identity.
///
/// A request that changes something (any method but GET and HEAD) is refused as cross-site
/// (PERMISSION_DENIED) when its `Origin` is another origin, or when the session cookie
/// authenticates it without the CSRF token: the `X-CSRF-Token` header must repeat the
/// `workflow_csrf` cookie. The Origin check is what stops another origin's page (cookies are
/// shared across a host's ports, so `SameSite=Strict` alone is not enough, and a page on
/// another port could read the CSRF cookie); the CSRF token also stops a request that carries
/// no `Origin` at all.
struct CallCredentials: Sendable {
    /// The cookie that holds the console's bearer token (HTTP-only, `SameSite=Strict`).
    static let sessionCookie = "workflow_session"
    /// The cookie the console's script reads to send as ``csrfHeader``.
    static let csrfCookie = "workflow_csrf"
    /// The header that must repeat ``csrfCookie`` on a state-changing request the session
    /// cookie authenticates.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    var metadata: Metadata
    var peerIdentity: String?

    /// The context of a call of `path` made with these credentials.
    func context(path: String) -> ServerCallContext {
        ServerCallContext(path: path, metadata: metadata, deadline: nil, peerIdentity: peerIdentity)
    }

    /// The credentials of `request`, which arrived on `channel`.
    /// - Throws: PERMISSION_DENIED for a cross-site state-changing request.
    static func of(_ request: Request, channel: any Channel, tls: ServerTLSContext?) async throws(RPCStatus) -> CallCredentials {
        try checkOrigin(of: request, isTLS: tls != nil)
        let changesState = request.method != .get && request.method != .head
        var metadata = Metadata()
        if let authorization = request.headers[.authorization] {
            metadata.addString(authorization, forKey: "authorization")
        } else if let token = cookie(sessionCookie, in: request) {
            if changesState {
                guard let expected = cookie(csrfCookie, in: request), let sent = request.headers[csrfHeader],
                      constantTimeEqual(Array(expected.utf8), Array(sent.utf8))
                else {
                    throw RPCStatus(
                        code: .permissionDenied,
                        message: "cross-site request refused: a request the session cookie authenticates must repeat the \(csrfCookie) cookie in \(csrfHeader)"
                    )
                }
            }
            metadata.addString("Bearer \(token)", forKey: "authorization")
        }
        return CallCredentials(metadata: metadata, peerIdentity: await peerIdentity(of: channel, tls: tls))
    }

    /// The credentials of a login or logout (`/api/v1/session`): only the client certificate,
    /// since the session cookie is what they replace (a stale one must not stand in the way),
    /// and only from this server's own pages.
    /// - Throws: PERMISSION_DENIED for a cross-site request.
    static func ofSessionChange(_ request: Request, channel: any Channel, tls: ServerTLSContext?) async throws(RPCStatus) -> CallCredentials {
        try checkOrigin(of: request, isTLS: tls != nil)
        return CallCredentials(metadata: Metadata(), peerIdentity: await peerIdentity(of: channel, tls: tls))
    }

    /// Refuses a state-changing request whose `Origin` is another origin than this server's.
    private static func checkOrigin(of request: Request, isTLS: Bool) throws(RPCStatus) {
        guard request.method != .get, request.method != .head, let origin = request.headers[.origin],
              origin.lowercased() != ownOrigin(of: request, isTLS: isTLS).lowercased()
        else { return }
        throw RPCStatus(code: .permissionDenied, message: "cross-site request refused: Origin \(origin) is not this server's")
    }

    /// Refuses a request addressed to a name that is not loopback (`localhost`, 127.0.0.0/8,
    /// `::1`): behind such a name is a page whose DNS was rebound to this machine.
    static func checkLoopbackHost(of request: Request) throws(RPCStatus) {
        let authority = request.head.authority ?? ""
        var host = Substring(authority)
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<end]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        guard !LoopbackHost.contains(String(host)) else { return }
        throw RPCStatus(
            code: .permissionDenied,
            message: "this server does not authenticate callers, so it answers only requests addressed to localhost, 127.0.0.1 or ::1, not \(authority.prefix(100))"
        )
    }


    /// Under mutual TLS, the identity of the client certificate `channel`'s handshake verified.
    private static func peerIdentity(of channel: any Channel, tls: ServerTLSContext?) async -> String? {
        guard tls?.requiresClientCertificates == true else { return nil }
        return try? await channel.eventLoop.submit { PeerIdentity.of(channel) }.get()
    }

    /// Credentials of a bearer token alone (a login checking the token it was given).
    static func bearer(_ token: String, peerIdentity: String?) -> CallCredentials {
        var metadata = Metadata()
        metadata.addString("Bearer \(token)", forKey: "authorization")
        return CallCredentials(metadata: metadata, peerIdentity: peerIdentity)
    }

    /// `scheme://host[:port]` of the server as the request addressed it.
    private static func ownOrigin(of request: Request, isTLS: Bool) -> String {
        "\(isTLS ? "https" : "http")://\(request.head.authority ?? "")"
    }

    /// The value of the cookie `name`, if the request sent it.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let pair = pair.drop { $0 == " " }
                guard let equals = pair.firstIndex(of: "="), pair[..<equals] == name else { continue }
                let value = pair[pair.index(after: equals)...]
                return value.isEmpty ? nil : String(value)
            }
        }
        return nil
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
