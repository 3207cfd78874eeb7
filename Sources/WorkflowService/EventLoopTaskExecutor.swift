import NIOCore

/// Runs the jobs of tasks that prefer it on one event loop: the bodies of inline jobs
/// (``WorkflowEngine/JobDefinition/Execution/inline``) started on that loop run there, and
/// come back to it after every suspension, so a short job costs no thread woken and no context
/// switch, and jobs stay spread over the loops their calls arrived on.
final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
