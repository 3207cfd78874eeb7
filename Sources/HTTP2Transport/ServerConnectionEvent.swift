/// What `GRPCServer` tells each of its connections during a graceful shutdown, as a user
/// inbound event on the connection's pipeline.
///
/// Each connection goes `serving` → (``beginShutdown``) `notified` → (PING acknowledged, or
/// ``finalGoAwayDelay`` passed) `goingAway` → (``drain``, then no stream left) closed.
enum ServerConnectionEvent: Sendable {
    /// Send GOAWAY as a shutdown notice, then a PING; the final GOAWAY (NO_ERROR, the last
    /// processed stream id) follows its acknowledgement. Calls in flight go on.
    case beginShutdown
    /// Send the final GOAWAY if not yet sent, and end every streaming call with UNAVAILABLE
    /// once it has sent what it has now; unary calls finish normally.
    case drain

    /// How long a connection waits for the PING acknowledgement before sending the final GOAWAY.
    static let finalGoAwayDelay: Duration = .seconds(1)
}
