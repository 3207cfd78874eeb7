/// A serial executor the engine actor can run on, such as a network event loop, that can tell
/// whether the calling thread is running it.
///
/// Give one to ``WorkflowEngine/init(templates:eventRetention:workflowRetention:workflowMaxAge:executor:store:logger:)``
/// and code already running on that executor (an RPC handler on the event loop) can call the
/// engine synchronously through ``WorkflowEngine/ifIsolated(_:)``, with no actor hop.
///
/// The default ``checkIsolated()`` and ``isIsolatingCurrentContext()`` answer from
/// ``isCurrent``, which lets `assumeIsolated` succeed on that thread even outside a Swift task.
///
/// ```swift
/// final class EventLoopEngineExecutor: EngineExecutor {
///     let loop: any EventLoop
///     func enqueue(_ job: consuming ExecutorJob) {
///         let job = UnownedJob(job)
///         loop.execute { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
///     }
///     func execute(_ work: @escaping @Sendable () -> Void) { loop.execute(work) }
///     var isCurrent: Bool { loop.inEventLoop }
/// }
/// ```
public protocol EngineExecutor: SerialExecutor {
    /// Whether the calling thread is currently running this executor.
    var isCurrent: Bool { get }

    /// Runs `work` on this executor, after what is already enqueued; callable from any thread.
    ///
    /// The engine uses it to reach its executor from a job's thread in one hop: a `Task` from
    /// a nonisolated context would start on the global executor and hop a second time.
    func execute(_ work: @escaping @Sendable () -> Void)
}

extension EngineExecutor {
    /// Stops the program unless the calling thread runs this executor.
    public func checkIsolated() {
        precondition(isCurrent, "Expected to run on the engine's executor")
    }

    /// Whether the calling thread runs this executor (Swift 6.2 runtimes ask this first).
    public func isIsolatingCurrentContext() -> Bool? {
        isCurrent
    }
}
