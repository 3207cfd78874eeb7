/// A service's health as `grpc.health.v1.HealthCheckResponse.ServingStatus` reports it.
public enum ServingStatus: Int32, Sendable, Hashable {
    /// Not known (the wire default; not set by this server).
    case unknown = 0
    /// Serving requests.
    case serving = 1
    /// Not serving, for example while shutting down: clients should go elsewhere.
    case notServing = 2
    /// Only in `Watch` answers: the server does not know the service.
    case serviceUnknown = 3
}
