import NIOCore
import NIOTLS

/// A server that finished the TLS handshake without choosing the protocol the client needs in
/// ALPN: most likely a port that serves something else.
package struct ProtocolNotNegotiated: Error, CustomStringConvertible {
    /// The protocol the client needs.
    package let required: String
    /// What the server chose; `nil` when it chose none.
    package let chosen: String?

    package var description: String {
        "the server did not choose \(required) in the TLS handshake (ALPN) but \(chosen.map { "\"\($0)\"" } ?? "nothing"): is this the right port?"
    }
}

/// Fails a client connection (``ProtocolNotNegotiated`` through the pipeline, then a close)
/// whose TLS handshake ended without the server choosing `required`; sits after the
/// `NIOSSLClientHandler` and removes itself once the right protocol was chosen.
final class NegotiatedProtocolCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let required: String

    init(required: String) {
        self.required = required
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let chosen) = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard chosen == required else {
            context.fireErrorCaught(ProtocolNotNegotiated(required: required, chosen: chosen))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
