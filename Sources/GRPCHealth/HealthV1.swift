/// The messages and service of `grpc.health.v1`, generated into `Generated/` by
/// Scripts/generate-protos.sh.
package enum HealthV1 {}
