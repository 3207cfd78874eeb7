import HummingbirdCore
import Logging
import NIOCore
import TransportTLS

/// A child channel of the HTTP port behind TLS: the current credentials of a
/// ``ServerTLSContext`` (reloadable) in front of the HTTP/1.1 channel.
struct TLSChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: ServerTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers(tls.makeHandlers(for: .http1))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
