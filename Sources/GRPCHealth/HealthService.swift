import MessageRuntime
import RPCCore
import Synchronization

/// `grpc.health.v1.Health`: what stock health checkers (`grpc_health_probe`, Kubernetes gRPC
/// probes, grpcio-health-checking) ask.
///
/// `Check("")` answers for the whole server, `Check(name)` for one registered service; an
/// unknown name is NOT_FOUND. `Watch` sends the current status at once and every change after
/// it (SERVICE_UNKNOWN for a name not registered yet). ``enterShutdown()`` turns every status
/// into NOT_SERVING for good, so load balancers stop sending new calls while the server drains.
///
/// ```swift
/// let health = HealthService()
/// health.setStatus(.serving, forService: WorkflowV1.WorkflowService.name)
/// health.register(in: &router)
/// // on SIGTERM:
/// health.enterShutdown()
/// ```
package final class HealthService: Sendable {
    private struct State {
        /// By service name; "" is the whole server.
        var statuses: [String: ServingStatus] = ["": .serving]
        var watchers: [ObjectIdentifier: HealthWatchProducer] = [:]
        var isShuttingDown = false
    }

    private let state = Mutex(State())

    /// Creates the service with the whole server SERVING.
    package init() {}

    /// Sets a service's status and tells its watchers. Ignored after ``enterShutdown()``.
    /// - Parameters:
    ///   - status: The new status.
    ///   - service: The fully qualified service name, or "" for the whole server.
    package func setStatus(_ status: ServingStatus, forService service: String) {
        let watchers = state.withLock { state -> [HealthWatchProducer] in
            guard !state.isShuttingDown, state.statuses[service] != status else { return [] }
            state.statuses[service] = status
            return state.watchers.values.filter { $0.service == service }
        }
        for watcher in watchers { watcher.statusChanged() }
    }

    /// Marks every service NOT_SERVING, for good, and tells the watchers.
    package func enterShutdown() {
        let watchers = state.withLock { state -> [HealthWatchProducer] in
            state.isShuttingDown = true
            for name in state.statuses.keys { state.statuses[name] = .notServing }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.statusChanged() }
    }

    /// A service's status, or nil if the service is not known.
    package func status(forService service: String) -> ServingStatus? {
        state.withLock { $0.statuses[service] }
    }

    /// Adds `Check` and `Watch` to `router`.
    package func register(in router: inout RPCRouter) {
        router.register(HealthV1.Health.check, .unary { [self] request, _, responder in
            do throws(RPCStatus) {
                let service = try Self.service(of: request)
                guard let status = status(forService: service) else {
                    return responder.fail(RPCStatus(code: .notFound, message: "unknown service '\(service)'"))
                }
                responder.succeed(Self.response(status))
            } catch {
                responder.fail(error)
            }
        })
        router.register(HealthV1.Health.watch, .serverStreaming { [self] request, _, waker throws(RPCStatus) in
            let producer = HealthWatchProducer(service: try Self.service(of: request), health: self, waker: waker)
            state.withLock { $0.watchers[ObjectIdentifier(producer)] = producer }
            return producer
        })
    }

    /// Forgets a watcher whose call ended.
    func remove(_ watcher: HealthWatchProducer) {
        _ = state.withLock { $0.watchers.removeValue(forKey: ObjectIdentifier(watcher)) }
    }

    /// The `service` of a serialized `HealthCheckRequest`.
    /// - Throws: INVALID_ARGUMENT when the bytes are not a `HealthCheckRequest`.
    private static func service(of request: [UInt8]) throws(RPCStatus) -> String {
        try HealthV1.HealthCheckRequest(request: request).service
    }

    /// A serialized `HealthCheckResponse` with `status`.
    static func response(_ status: ServingStatus) -> [UInt8] {
        HealthV1.HealthCheckResponse(status: status).serializedBytes()
    }
}
