import MessageRuntime
@testable import RPCCore
import Synchronization
import Testing
import WorkflowMessages

@Suite struct RPCRouterTests {
    private typealias Methods = WorkflowV1.WorkflowService

    private static let unary = RPCHandler.unary { _, _, responder in responder.succeed([]) }
    private static let serverStreaming = RPCHandler.serverStreaming { _, _, _ throws(RPCStatus) -> any ServerStreamProducer in
        throw RPCStatus(code: .unavailable)
    }
    private static let requestStream = RPCHandler.bidirectionalStreaming { _, _ throws(RPCStatus) -> any RequestStreamHandler in
        throw RPCStatus(code: .unavailable)
    }

    private func route(_ path: String, in router: RPCRouter) throws -> Result<RPCHandler, RPCStatus> {
        router.route(try #require(GRPCRequestHead(path: path)))
    }

    @Test func registeringADescriptorServesItsPathWithThatHandler() throws {
        let answered = Mutex<[UInt8]?>(nil)
        var router = RPCRouter()
        router.register(Methods.getWorkflow, .unary { _, _, responder in responder.succeed([7]) })
        router.register(Methods.watchLogs, Self.serverStreaming)

        guard case .success(.unary(let call)) = try route(Methods.getWorkflow.path, in: router) else {
            Issue.record("\(Methods.getWorkflow.path) is not routed to its unary handler")
            return
        }
        call([], ServerCallContext(path: Methods.getWorkflow.path, metadata: Metadata(), deadline: nil), UnaryResponder { result in
            answered.withLock { $0 = try? result.get() }
        })
        #expect(answered.withLock { $0 } == [7])
        guard case .success(.serverStreaming) = try route(Methods.watchLogs.path, in: router) else {
            Issue.record("\(Methods.watchLogs.path) is not routed to its server-streaming handler")
            return
        }
        #expect(router.serviceNames == [Methods.name])
    }

    @Test func aMethodNotRegisteredIsUnimplemented() throws {
        var router = RPCRouter()
        router.register(Methods.getWorkflow, Self.unary)

        let sameService = try route(Methods.startWorkflow.path, in: router)
        #expect(throws: RPCStatus(code: .unimplemented, message: "Method not found: \(Methods.startWorkflow.path)")) {
            try sameService.get()
        }
        let otherService = try route("/workflow.v9.Other/GetWorkflow", in: router)
        #expect(throws: RPCStatus(code: .unimplemented, message: "Unknown service: workflow.v9.Other")) {
            try otherService.get()
        }
    }

    /// What `register(_:_:)` requires: a handler that streams as the method does.
    @Test(arguments: RPCKind.allCases)
    func aHandlerServesTheKindsThatStreamAsItDoes(kind: RPCKind) {
        #expect(Self.unary.serves(kind) == (kind == .unary))
        #expect(Self.serverStreaming.serves(kind) == (kind == .serverStreaming))
        #expect(Self.requestStream.serves(kind) == (kind == .clientStreaming || kind == .bidirectionalStreaming))
    }
}
