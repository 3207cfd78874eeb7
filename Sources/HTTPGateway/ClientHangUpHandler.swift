import NIOCore

/// Closes a connection as soon as the client closes its side.
///
/// Hummingbird allows half-closed connections, so a browser that went away leaves its event
/// stream open until a write to it fails, which may take many events; closing at the input's
/// end frees the stream at once (its `closeFuture` ends it). HTTP clients do not half-close
/// to wait for an answer, so nothing is lost.
final class ClientHangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
