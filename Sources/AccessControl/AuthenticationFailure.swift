/// Why a request's credentials were not accepted, in words safe to send to the caller and to
/// log: never the token itself.
package struct AuthenticationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, e.g. "the token has expired".
    package let message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }

    static let missing = AuthenticationFailure(
        "no credentials: send the metadata `authorization: Bearer <token>`"
    )
    static let notBearer = AuthenticationFailure(
        "the authorization metadata must be `Bearer <token>`"
    )
}
