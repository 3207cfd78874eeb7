import AccessControl
import RPCCore
import WorkflowEngine
import WorkflowMessages

/// Serves `workflow.v1.WorkerService` from a ``WorkflowEngine``: each `Connect` stream is a
/// ``WorkerStreamCall``; `ListWorkers` reads the engine's connected workers.
///
/// Like ``WorkflowRPCService``, only ``WorkflowServer`` creates it, over an engine its
/// handlers enter from their connections' loops. A worker may serve only the queues its roles
/// name (`worker:<queue>`; an admin any).
package struct WorkerRPCService: Sendable {
    private let engine: WorkflowEngine
    private let access: AccessGuard

    init(engine: WorkflowEngine, access: AccessGuard) {
        self.engine = engine
        self.access = access
    }

    /// Adds the service's methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkerService
        router.register(Methods.connect, access.requestStreaming(.serveQueues, connect))
        router.register(Methods.listWorkers, access.unary(.listWorkers, listWorkers))
    }

    private func connect(_ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any RequestStreamHandler {
        WorkerStreamCall(engine: engine, credentials: check, waker: waker)
    }

    private func listWorkers(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        let request: WorkflowV1.ListWorkersRequest
        do {
            request = try .init(request: bytes)
        } catch {
            return responder.fail(error)
        }
        let queue = request.queue.isEmpty ? nil : request.queue
        engine.submit { engine in
            engine.workers(servingQueue: queue)
        } then: { (result: Result<[WorkerStatus], Never>) in
            let workers = result.get()
            responder.succeed(WorkflowV1.ListWorkersResponse(workers: workers.map(WorkflowV1.WorkerInfo.init)).serializedBytes())
        }
    }
}
