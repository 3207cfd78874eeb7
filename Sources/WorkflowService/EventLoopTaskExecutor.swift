import NIOCore
import NIOPosix

/// The server's event loops, and the one that runs work a thread enqueues.
struct ServerEventLoops: Sendable {
    private let loops: [any EventLoop]
    private let loopIDs: Set<ObjectIdentifier>

    init(_ group: any EventLoopGroup) {
        loops = Array(group.makeIterator())
        loopIDs = Set(loops.map { ObjectIdentifier($0) })
    }

    /// The calling thread's loop when it is one of these, else the first, so work enqueued
    /// from any one thread runs in the order it was enqueued, without waking another thread
    /// when it comes from a loop.
    var forEnqueuedWork: any EventLoop {
        if loops.count == 1 {
            return loops[0]
        }
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, loopIDs.contains(ObjectIdentifier(current)) {
            return current
        }
        return loops[0]
    }
}

/// Runs the bodies of inline jobs (``WorkflowEngine/JobDefinition/Execution/inline``) on the
/// event loops: a job started by engine code on a loop runs at that loop's next turn, so a
/// short job costs no thread woken and no context switch.
final class EventLoopTaskExecutor: TaskExecutor {
    private let loops: ServerEventLoops

    init(loops: ServerEventLoops) {
        self.loops = loops
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loops.forEnqueuedWork.execute { job.runSynchronously(on: executor) }
    }
}
