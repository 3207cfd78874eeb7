import NIOCore
import NIOPosix
import Synchronization
import WorkflowEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the engine actor under a lock that any thread may take, so a handler on any network
/// event loop calls the engine with a plain function call instead of an actor hop.
///
/// The engine is isolated to whichever thread holds the lock. A unary handler submits its
/// engine call (``submit(_:)``): it runs at once on the handler's thread when the engine is
/// free; otherwise it waits in a queue that the holder runs, as one batch, before it lets go,
/// so the handler's thread does not wait. The answer is encoded after the lock is released. A
/// thread that finds more submitted once it let go hands them to an event loop's next turn (its
/// own loop's, when it is one) rather than serving other loops' calls indefinitely. Calls that
/// need the engine's answer before going on (a stream's start and its checks, a worker's
/// messages) enter it (``enter(_:)``), waiting for the holder. The engine's own work (actor
/// calls from tasks, ``execute(_:)`` hand-offs from jobs) is submitted from an event loop: the
/// calling thread's when it is one of them, else the first (never from the enqueuing thread
/// itself, which may be in the middle of switching tasks), so what one thread enqueues runs in
/// that order. The thread that holds the lock enters again freely, so engine code that ends up
/// in a handler's path (a waiter, a delivery) never waits for itself.
///
/// An actor hop per request cost a prototype about 10 µs of CPU; waiting for the lock in the
/// kernel cost two loops sharing StartWorkflow load 30 µs per call more than one loop (a futex
/// wait and wake per contended call, measured), which submitting instead of waiting avoids.
package final class LockedEngineExecutor: EngineExecutor {
    /// Work submitted to the engine: it runs under the lock and returns what to do once the
    /// lock is released.
    package typealias Submitted = @Sendable () -> @Sendable () -> Void

    private let loops: ConnectionLoops
    /// One task executor per loop, by the loop's identity, for inline jobs.
    private let taskExecutors: [ObjectIdentifier: EventLoopTaskExecutor]
    private let lock = Mutex<Void>(())
    /// The thread that holds `lock`, as its `pthread_self()`; 0 when none does.
    private let owner = Atomic<UInt>(0)
    /// Submitted work waiting for the lock, oldest first, and how much there is.
    private let submitted = Mutex<[Submitted]>([])
    private let submittedCount = Atomic<Int>(0)

    /// Creates an executor whose enqueued jobs run on the event loops of `loops`.
    package init(loops: any EventLoopGroup) {
        self.loops = ConnectionLoops(loops)
        self.taskExecutors = Dictionary(uniqueKeysWithValues: self.loops.all.map { (ObjectIdentifier($0), EventLoopTaskExecutor(loop: $0)) })
    }

    /// The task executor of the calling thread's loop (the first loop's when the thread is none
    /// of them): an inline job started here stays on this loop.
    package var inlineJobExecutor: (any TaskExecutor)? {
        taskExecutors[ObjectIdentifier(loops.currentOrFirst)]
    }

    /// Whether the calling thread holds the engine (another thread's id or 0 is all it can read
    /// otherwise: only the holder writes its own id, and clears it before releasing).
    package var isCurrent: Bool {
        owner.load(ordering: .relaxed) == Self.currentThread
    }

    package func enter(_ body: () -> Void) -> Bool {
        if isCurrent {
            body()
            return true
        }
        // Engine calls are short: waiting a little for the holder is cheaper than sleeping in
        // the kernel and being woken.
        for _ in 0..<Self.spinLimit {
            if enterIfFree(body) { return true }
        }
        var afterwards: [@Sendable () -> Void] = []
        lock.withLock { _ in hold(body, afterwards: &afterwards) }
        finish(afterwards)
        return true
    }

    package func enterIfFree(_ body: () -> Void) -> Bool {
        guard owner.load(ordering: .relaxed) == 0 else { return false }
        var afterwards: [@Sendable () -> Void] = []
        guard lock.withLockIfAvailable({ _ in hold(body, afterwards: &afterwards) }) != nil else { return false }
        finish(afterwards)
        return true
    }

    package func submit(_ work: @escaping Submitted) {
        submitted.withLock { $0.append(work) }
        submittedCount.add(1, ordering: .sequentiallyConsistent)
        // The count before the look at the lock: a holder that lets go after this look sees it.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if isCurrent {
            return  // this thread passes it on when it lets go
        }
        runSubmittedIfFree()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        loops.currentOrFirst.execute { [self] in
            // What this thread submitted before runs first, under the same hold.
            guard !enterIfFree({ job.runSynchronously(on: executor) }) else { return }
            submit {
                job.runSynchronously(on: executor)
                return {}
            }
        }
    }

    package func execute(_ work: @escaping @Sendable () -> Void) {
        loops.currentOrFirst.execute { [self] in
            guard !enterIfFree(work) else { return }
            submit {
                work()
                return {}
            }
        }
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Under the lock: runs the work submitted before, then `body`, with the calling thread
    /// recorded as the holder.
    private func hold(_ body: () -> Void, afterwards: inout [@Sendable () -> Void]) {
        owner.store(Self.currentThread, ordering: .relaxed)
        defer { owner.store(0, ordering: .relaxed) }
        runSubmitted(into: &afterwards)
        body()
    }

    /// Under the lock: runs what was submitted until now, oldest first (one batch: what comes
    /// meanwhile waits for ``finish(_:)`` to pass it on).
    private func runSubmitted(into afterwards: inout [@Sendable () -> Void]) {
        guard submittedCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let batch = submitted.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        submittedCount.subtract(batch.count, ordering: .sequentiallyConsistent)
        for work in batch {
            afterwards.append(work())
        }
    }

    /// Once the lock is released: runs what the work under it left to do, then hands work
    /// submitted meanwhile (whose submitters found the lock held and left it to this thread)
    /// to an event loop's next turn.
    private func finish(_ afterwards: [@Sendable () -> Void]) {
        for continuation in afterwards {
            continuation()
        }
        // The release before the look at the count: a submitter that looked at the lock before
        // the release has its count seen here.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if submittedCount.load(ordering: .sequentiallyConsistent) > 0 {
            loops.currentOrFirst.execute { [self] in runSubmittedIfFree() }
        }
    }

    /// Runs one batch of the submitted work here if nobody holds the lock; else its holder
    /// passes it on when it lets go.
    private func runSubmittedIfFree() {
        guard submittedCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        _ = enterIfFree {}
    }

    /// How many times ``enter(_:)`` looks for a free lock before it sleeps until it is.
    private static let spinLimit = 200

    private static var currentThread: UInt {
        UInt(bitPattern: Int(bitPattern: pthread_self()))
    }
}
