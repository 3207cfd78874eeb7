import Foundation

/// Where the service reads the store, off the event loop: a watcher's events older than memory,
/// and the trees and steps of workflows that finished a while ago. A read may wait on the disk; the
/// event loop never does, and at most ``maxConcurrentReads`` reads wait at once (a flood of
/// reads of old history queues here instead of taking a thread each).
enum StoreReads {
    /// How many reads run at once.
    static let maxConcurrentReads = max(2, ProcessInfo.processInfo.activeProcessorCount)

    private static let queue: OperationQueue = {
        let queue = OperationQueue()
        queue.name = "workflow.store-reads"
        queue.maxConcurrentOperationCount = maxConcurrentReads
        queue.qualityOfService = .userInitiated
        return queue
    }()

    /// Runs `read` on a thread of the store reads, in turn with the others.
    static func run(_ read: @escaping @Sendable () -> Void) {
        queue.addOperation(read)
    }
}
