/// A service's health as `grpc.health.v1.HealthCheckResponse` reports it: `.serving`,
/// `.notServing`, and in `Watch` answers `.serviceUnknown` for a service not registered (yet).
package typealias ServingStatus = HealthV1.HealthCheckResponse.ServingStatus
