import RPCCore
import WorkflowEngine
import WorkflowMessages

/// Serves `workflow.v1.WorkerService` from a ``WorkflowEngine``: each `Connect` stream is a
/// ``WorkerStreamCall``; `ListWorkers` reads the engine's connected workers.
///
/// Like ``WorkflowRPCService``, only ``WorkflowServer`` creates it, with the engine running on
/// the event loop that serves every connection.
package struct WorkerRPCService: Sendable {
    private let engine: WorkflowEngine

    init(engine: WorkflowEngine) {
        self.engine = engine
    }

    /// Adds the service's methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkerService
        router.register(Methods.connect, .bidirectionalStreaming(connect))
        router.register(Methods.listWorkers, .unary(listWorkers))
    }

    private func connect(_ context: ServerCallContext, _ waker: StreamWaker) throws(RPCStatus) -> any RequestStreamHandler {
        WorkerStreamCall(engine: engine, waker: waker)
    }

    private func listWorkers(_ bytes: [UInt8], _ context: ServerCallContext, _ responder: UnaryResponder) {
        let request: WorkflowV1.ListWorkersRequest
        do {
            request = try .init(request: bytes)
        } catch {
            return responder.fail(error)
        }
        let queue = request.queue.isEmpty ? nil : request.queue
        let workers = engine.onItsLoop { $0.workers(servingQueue: queue) }
        responder.succeed(WorkflowV1.ListWorkersResponse(workers: workers.map(WorkflowV1.WorkerInfo.init)).serializedBytes())
    }
}
