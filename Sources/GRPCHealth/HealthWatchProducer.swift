import RPCCore
import Synchronization

/// One `Watch` call: sends the service's status whenever it differs from the last one sent.
final class HealthWatchProducer: ServerStreamProducer {
    /// The watched service ("" for the whole server).
    let service: String
    private let health: HealthService
    private let waker: StreamWaker
    /// The status last sent; nil before the first message.
    private let lastSent = Mutex<ServingStatus?>(nil)

    init(service: String, health: HealthService, waker: StreamWaker) {
        self.service = service
        self.health = health
        self.waker = waker
    }

    /// The service's status changed: wake the transport.
    func statusChanged() {
        waker()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        let current = health.status(forService: service) ?? .serviceUnknown
        let changed = lastSent.withLock { last in
            defer { last = current }
            return last != current
        }
        if changed { output.append(message: HealthService.response(current)) }
        return .pending
    }

    func cancel() {
        health.remove(self)
    }
}
