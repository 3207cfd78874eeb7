import RPCCore
import Testing

@Suite struct GRPCContentTypeTests {
    @Test("gRPC content-types, in any ASCII case", arguments: [
        "application/grpc", "application/grpc+proto", "application/grpc+json", "application/grpc;charset=utf-8",
        "Application/GRPC", "APPLICATION/GRPC+PROTO", GRPCContentType.standard,
    ])
    func accepts(value: String) {
        #expect(GRPCContentType.isGRPC(value))
    }

    @Test("anything else", arguments: [
        "", "application/json", "application/grpc-web", "application/grpc-web+proto", "application/grp",
        "text/application/grpc", " application/grpc", "application/grpcx",
    ])
    func rejects(value: String) {
        #expect(!GRPCContentType.isGRPC(value))
    }
}
