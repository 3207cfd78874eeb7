import NIOCore
import WorkflowEngine

/// Runs the engine actor on a SwiftNIO event loop.
///
/// When the engine shares the loop that serves a connection, an RPC handler reaches the engine
/// with a plain function call (`WorkflowEngine.ifIsolated`) instead of an actor hop, which a
/// prototype measured at about 10 µs of CPU per request.
final class EventLoopEngineExecutor: EngineExecutor {
    private let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    var isCurrent: Bool { loop.inEventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        loop.preconditionInEventLoop()
    }
}
