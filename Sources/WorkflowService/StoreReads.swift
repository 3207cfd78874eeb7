import Dispatch
import Foundation
import Synchronization

/// Where the service reads the store, off the event loop: a watcher's events older than memory,
/// and the trees and steps of workflows that finished a while ago. A read may wait on the disk; the
/// event loop never does, and at most ``maxConcurrentReads`` reads run at once (a flood of
/// reads of old history queues here instead of taking a thread each).
enum StoreReads {
    /// How many reads run at once.
    static let maxConcurrentReads = max(2, ProcessInfo.processInfo.activeProcessorCount)

    private struct State {
        /// Reads not yet started from `head` on; those before it were taken (and let go of).
        var pending: [(@Sendable () -> Void)?] = []
        var head = 0
        /// Workers taking reads from `pending`.
        var workers = 0

        mutating func next() -> (@Sendable () -> Void)? {
            guard head < pending.count else {
                pending.removeAll(keepingCapacity: pending.count <= 64)
                head = 0
                return nil
            }
            let read = pending[head]
            pending[head] = nil
            head += 1
            // Under a steady flow the queue never empties: drop the taken half now and then.
            if head >= 64, head * 2 >= pending.count {
                pending.removeFirst(head)
                head = 0
            }
            return read
        }
    }

    private static let state = Mutex(State())

    /// Runs `read` on a thread of the store reads, in turn with the others.
    static func run(_ read: @escaping @Sendable () -> Void) {
        let startsWorker = state.withLock { state -> Bool in
            state.pending.append(read)
            guard state.workers < maxConcurrentReads else { return false }
            state.workers += 1
            return true
        }
        if startsWorker {
            // One hop per burst of reads, not per read (an OperationQueue cost 10 % of a
            // server answering GetWorkflows from the store).
            DispatchQueue.global(qos: .userInitiated).async(execute: work)
        }
    }

    /// Runs queued reads until none is left.
    private static func work() {
        while let read = state.withLock({ state -> (@Sendable () -> Void)? in
            guard let read = state.next() else {
                state.workers -= 1
                return nil
            }
            return read
        }) {
            read()
        }
    }
}
