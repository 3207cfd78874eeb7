import NIOCore
import WorkflowEngine

/// Runs the engine actor on a SwiftNIO event loop.
///
/// When the engine shares the loop that serves a connection, an RPC handler reaches the engine
/// with a plain function call (`WorkflowEngine.ifIsolated`) instead of an actor hop, which a
/// prototype measured at about 10 µs of CPU per request.
package final class EventLoopEngineExecutor: EngineExecutor {
    private let loop: any EventLoop

    /// Creates an executor that runs the engine's jobs on `loop`.
    package init(loop: any EventLoop) {
        self.loop = loop
    }

    package var isCurrent: Bool { loop.inEventLoop }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    package func execute(_ work: @escaping @Sendable () -> Void) {
        loop.execute(work)
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    package func checkIsolated() {
        loop.preconditionInEventLoop()
    }
}
