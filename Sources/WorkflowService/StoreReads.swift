import Dispatch
import Foundation
import Synchronization
import WorkflowEngine

/// Where the service reads the store, off the event loop: a watcher's events older than memory,
/// and the trees and steps of workflows that finished a while ago. A read may wait on the disk; the
/// event loop never does, and at most ``maxConcurrentReads`` reads run at once (a flood of
/// reads of old history queues here instead of taking a thread each).
enum StoreReads {
    /// How many reads run at once.
    static let maxConcurrentReads = max(2, ProcessInfo.processInfo.activeProcessorCount)

    private struct State {
        /// Reads not yet started.
        var pending = FIFOQueue<@Sendable () -> Void>()
        /// Workers taking reads from `pending`.
        var workers = 0
    }

    private static let state = Mutex(State())

    /// Runs `read` on a thread of the store reads, in turn with the others.
    static func run(_ read: @escaping @Sendable () -> Void) {
        let startsWorker = state.withLock { state -> Bool in
            state.pending.push(read)
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
            guard let read = state.pending.pop() else {
                state.workers -= 1
                return nil
            }
            return read
        }) {
            read()
        }
    }
}
