@testable import GRPCHealth
@testable import GRPCReflection
@testable import RPCCore
import WorkflowMessages

/// Fuzzes protobuf decoding of every request message the server accepts: the first byte picks
/// the type, the rest is the message. Workflow messages that decode are re-encoded and decoded
/// again; health and reflection requests go through their real handlers; and the input is
/// tried as the descriptor set reflection indexes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequests(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 9 {
    case 0: roundTrip(WorkflowV1.StartWorkflowRequest.self, bytes)
    case 1: roundTrip(WorkflowV1.GetWorkflowRequest.self, bytes)
    case 2: roundTrip(WorkflowV1.WatchLogsRequest.self, bytes)
    case 3: roundTrip(WorkflowV1.ListWorkflowsRequest.self, bytes)
    case 4: roundTrip(WorkflowV1.RetryWorkflowRequest.self, bytes)
    case 5: roundTrip(WorkflowV1.CancelWorkflowRequest.self, bytes)
    case 6: Services.shared.check(bytes)
    case 7: Services.shared.reflect(bytes)
    default: _ = try? ReflectionService(fileDescriptorSet: bytes, serviceNames: [])
    }
    return 0
}

private func roundTrip<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8]) {
    let decoded = bytes.withUnsafeBytes { try? Message(serializedBytes: $0) }
    guard let decoded else { return }
    let again = decoded.serializedBytes().withUnsafeBytes { try? Message(serializedBytes: $0) }
    precondition(again == decoded, "a re-encoded message does not decode to the same value")
}

/// The health and reflection handlers, as the server registers them.
private final class Services: Sendable {
    static let shared = Services()

    private let router: RPCRouter

    private init() {
        var router = RPCRouter()
        HealthService().register(in: &router)
        // A descriptor set with one file, `a.proto` declaring `a.S`: enough for every branch.
        let file: [UInt8] = [0x0A, 7] + Array("a.proto".utf8) + [0x12, 1, 0x61, 0x32, 3, 0x0A, 1, 0x53]
        let set: [UInt8] = [0x0A, UInt8(file.count)] + file
        try! ReflectionService(fileDescriptorSet: set, serviceNames: ["a.S"]).register(in: &router)
        self.router = router
    }

    func check(_ bytes: [UInt8]) {
        let path = HealthV1.Health.check.path
        guard case .success(.unary(let call)) = router.route(GRPCRequestHead(path: path)!) else {
            fatalError("health is not registered")
        }
        call(bytes, ServerCallContext(path: path, metadata: Metadata(), deadline: nil), UnaryResponder { _ in })
    }

    func reflect(_ bytes: [UInt8]) {
        let path = ReflectionV1.ServerReflection.serverReflectionInfo.path
        guard case .success(.bidirectionalStreaming(let start)) = router.route(GRPCRequestHead(path: path)!) else {
            fatalError("reflection is not registered")
        }
        let handler = try! start(ServerCallContext(path: path, metadata: Metadata(), deadline: nil), StreamWaker {})
        try? handler.receive(bytes)
        handler.requestsEnded()
        var output = StreamOutput(budget: 1 << 20)
        _ = handler.produce(into: &output)
    }
}
