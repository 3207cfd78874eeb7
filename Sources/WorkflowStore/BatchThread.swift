import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that runs `work` each time it is woken, scheduled as a batch thread.
///
/// The store's writer runs here rather than on a Dispatch queue: Linux never lets a woken
/// `SCHED_BATCH` thread preempt the running one, so when the writer shares a core with the
/// event loop that queues writes (a pinned server, a busy machine), the loop goes on to queue
/// more instead of yielding to a commit per request, and the writer commits them together
/// once the loop waits or its time slice ends. On an idle core it runs at once, as before.
final class BatchThread: Sendable {
    private let wakeups = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// The thread's `pthread_t`, once it runs (0 before).
    private let threadID = Atomic<UInt>(0)

    private let name: String

    /// Creates the thread named `name`; ``start(_:)`` starts it.
    init(name: String) {
        self.name = name
    }

    /// Starts the thread: `work` runs once per ``wake()``, never twice at once, until ``stop()``.
    /// Call it once.
    func start(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread {
            self.threadID.store(UInt(bitPattern: Self.currentThreadID), ordering: .releasing)
            Self.becomeBatchThread()
            while true {
                self.wakeups.wait()
                if self.stopped.load(ordering: .acquiring) { return }
                work()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Has the thread run `work` once more, after the run in progress if there is one.
    func wake() {
        wakeups.signal()
    }

    /// Ends the thread once the run in progress, if any, returns.
    func stop() {
        stopped.store(true, ordering: .releasing)
        wakeups.signal()
    }

    /// Whether the caller runs on this thread.
    var isCurrentThread: Bool {
        threadID.load(ordering: .acquiring) == UInt(bitPattern: Self.currentThreadID)
    }

    private static var currentThreadID: Int {
        #if canImport(Glibc)
        Int(bitPattern: UInt(pthread_self()))
        #else
        0
        #endif
    }

    #if canImport(Glibc)
    /// Linux's `SCHED_BATCH` policy; Glibc's module does not export the macro.
    private static let batchPolicy: Int32 = 3
    #endif

    /// Marks the calling thread `SCHED_BATCH`: CPU-bound, never preempting on wake-up.
    /// Lowering a thread's own policy needs no privilege; where it fails the thread simply
    /// stays a normal one.
    private static func becomeBatchThread() {
        #if canImport(Glibc)
        var parameters = sched_param()
        _ = sched_setscheduler(0, batchPolicy, &parameters)
        #endif
    }
}
