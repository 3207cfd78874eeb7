/// The messages of `grpc.reflection.v1alpha`, generated into `Generated/` by
/// Scripts/generate-protos.sh, and its service.
package enum ReflectionV1Alpha {}

/// `grpc.reflection.v1`: the same messages as ``ReflectionV1Alpha`` (same fields, numbers and
/// types, so the same bytes), under a newer service name.
package enum ReflectionV1 {}
