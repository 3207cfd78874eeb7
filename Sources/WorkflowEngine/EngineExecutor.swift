/// A serial executor the engine actor can run on, such as a network event loop, that can tell
/// whether the calling thread is running it.
///
/// Give one to ``WorkflowEngine/init(templates:eventRetention:workflowRetention:workflowMaxAge:executor:store:logger:)``
/// and code already running on that executor (an RPC handler on the event loop) can call the
/// engine synchronously through ``WorkflowEngine/ifIsolated(_:)``, with no actor hop. An
/// executor that serializes with a lock rather than a thread also lets any thread in
/// (``enter(_:)``), and then ``WorkflowEngine/enter(_:)`` calls the engine from every thread.
///
/// The default ``checkIsolated()`` and ``isIsolatingCurrentContext()`` answer from
/// ``isCurrent``, which lets `assumeIsolated` succeed on that thread even outside a Swift task.
///
/// ```swift
/// final class SingleLoopEngineExecutor: EngineExecutor {
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

    /// Runs `work` on this executor, after what the calling thread enqueued before; callable
    /// from any thread.
    ///
    /// The engine uses it to reach its executor from a job's thread in one hop: a `Task` from
    /// a nonisolated context would start on the global executor and hop a second time.
    func execute(_ work: @escaping @Sendable () -> Void)

    /// Runs `body` on the calling thread as this executor: at once when the thread runs it
    /// already, else once whatever runs it now has finished. Returns false without running
    /// `body` when this executor cannot be entered from another thread (the default: only when
    /// ``isCurrent``). Not generic, so that calls through `any EngineExecutor` instantiate no
    /// type metadata at run time: `body` keeps its result itself.
    func enter(_ body: () -> Void) -> Bool

    /// Runs `work` on this executor without the calling thread waiting for whatever runs on
    /// it now; `work` returns what to do afterwards, off the executor. The default hands both
    /// to ``execute(_:)``; an executor that serializes with a lock runs them at once on the
    /// calling thread when the lock is free.
    func submit(_ work: @escaping @Sendable () -> @Sendable () -> Void)

    /// Runs `body` on the calling thread as this executor if nothing runs it now; returns false
    /// without running it otherwise (also when the calling thread runs it). The default:
    /// always false.
    func enterIfFree(_ body: () -> Void) -> Bool

    /// Where the body of a ``JobDefinition/Execution/inline`` job that the calling thread
    /// starts runs (read as each attempt starts): one of the threads that run this executor,
    /// the calling one when it can, so no other thread is woken. The default: `nil`, and such
    /// jobs run on the global concurrent executor.
    var inlineJobExecutor: (any TaskExecutor)? { get }
}

extension EngineExecutor {
    /// None: every job body runs on the global concurrent executor.
    public var inlineJobExecutor: (any TaskExecutor)? {
        nil
    }

    /// Stops the program unless the calling thread runs this executor.
    public func checkIsolated() {
        precondition(isCurrent, "Expected to run on the engine's executor")
    }

    /// Never runs `body`: only an executor that serializes with a lock can be entered.
    public func enterIfFree(_ body: () -> Void) -> Bool {
        false
    }

    /// Runs `work`, then what it returns, through ``execute(_:)``.
    public func submit(_ work: @escaping @Sendable () -> @Sendable () -> Void) {
        execute { work()() }
    }

    /// Runs `body` when the calling thread runs this executor already; false otherwise.
    public func enter(_ body: () -> Void) -> Bool {
        guard isCurrent else { return false }
        body()
        return true
    }

    /// Whether the calling thread runs this executor (Swift 6.2 runtimes ask this first).
    public func isIsolatingCurrentContext() -> Bool? {
        isCurrent
    }
}
