import HTTP2Transport
import NIOCore

extension ServerTLSContext: ServerConnectionSecurity {
    package func makeHTTP2Handlers() -> [any ChannelHandler] {
        makeHandlers(for: .http2)
    }

    package func peerIdentity(of channel: any Channel) -> String? {
        PeerIdentity.of(channel)
    }
}

extension ClientTLSContext: ClientConnectionSecurity {}
