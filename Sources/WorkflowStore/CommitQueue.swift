import Dispatch
import WorkflowEngine

/// What the store's writer has yet to commit, in order, and where a commit may end early;
/// the writes of one enqueue call always go into the same commit.
struct CommitQueue {
    /// The most events a commit takes while more are queued: a transaction larger than
    /// SQLite's page cache spills pages to the WAL and reads them back before it commits, and
    /// watchers wait for the whole of it.
    static let defaultMaxEventsPerCommit = 2_048

    /// How many events a commit takes at most while more are queued (a whole enqueue call's
    /// writes may exceed it).
    let maxEventsPerCommit: Int
    private var writes: [StoreWrite] = []
    /// Counts of `writes` at which a commit ends early, one per `maxEventsPerCommit` events.
    private var cuts: [Int] = []
    /// Events queued since the last cut.
    private var eventsSinceCut = 0
    /// Whether the writer was woken and has not yet found the queue empty.
    var isDraining = false
    /// ``SQLiteEventStore/flush()`` calls waiting for the writer to find the queue empty.
    var flushWaiters: [DispatchSemaphore] = []

    init(maxEventsPerCommit: Int = Self.defaultMaxEventsPerCommit) {
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
    }

    /// Queues `added`, writes one transaction must hold together.
    /// - Returns: Whether the writer must be woken (it was not draining).
    mutating func append(_ added: some Collection<StoreWrite>) -> Bool {
        writes.append(contentsOf: added)
        for write in added {
            if case .events(let events) = write {
                eventsSinceCut += events.count
            }
        }
        if eventsSinceCut >= maxEventsPerCommit {
            cuts.append(writes.count)
            eventsSinceCut = 0
        }
        if isDraining { return false }
        isDraining = true
        return true
    }

    /// Takes the writes of the next commit: those before the first cut, else all of them.
    mutating func takeNextCommit() -> [StoreWrite] {
        guard let cut = cuts.first, cut < writes.count else {
            cuts = []
            eventsSinceCut = 0
            defer { writes = [] }
            return writes
        }
        let taken = Array(writes[..<cut])
        writes.removeFirst(cut)
        cuts = cuts.dropFirst().map { $0 - cut }
        return taken
    }
}
