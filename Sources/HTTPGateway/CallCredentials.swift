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
/// `workflow_csrf` cookie, which a page of another origin cannot read. (`SameSite=Strict`
/// alone is not enough: another port of the same host is the same site.)
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

    /// The credentials of `request`, which arrived on `channel`.
    /// - Throws: PERMISSION_DENIED for a cross-site state-changing request.
    static func of(_ request: Request, channel: any Channel, tls: ServerTLSContext?) async throws(RPCStatus) -> CallCredentials {
        let changesState = request.method != .get && request.method != .head
        if changesState, let origin = request.headers[.origin], origin != ownOrigin(of: request, isTLS: tls != nil) {
            throw RPCStatus(code: .permissionDenied, message: "cross-site request refused: Origin \(origin) is not this server's")
        }
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
        var peerIdentity: String?
        if tls?.requiresClientCertificates == true {
            peerIdentity = try? await channel.eventLoop.submit { PeerIdentity.of(channel) }.get()
        }
        return CallCredentials(metadata: metadata, peerIdentity: peerIdentity)
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
