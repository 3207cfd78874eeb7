import Dispatch
import WorkflowEngine

/// What the store's writer has yet to commit, in order, and where a commit may end early;
/// the writes of one enqueue call always go into the same commit.
///
/// While the writer has work the queue holds its store (`owner`), so a store dropped with
/// writes still queued commits them before it goes.
struct CommitQueue {
    /// The most events a commit takes while more are queued: a transaction larger than
    /// SQLite's page cache spills pages to the WAL and reads them back before it commits, and
    /// watchers wait for the whole of it.
    static let defaultMaxEventsPerCommit = 2_048

    /// How many events a commit takes at most while more are queued (a whole enqueue call's
    /// writes may exceed it).
    let maxEventsPerCommit: Int
    /// The queued writes from `taken` on; those before it went into commits already, each
    /// replaced by ``placeholder`` so that the commit holds the only reference to its writes
    /// (and the writer lets go of them outside the lock).
    private var writes: [StoreWrite] = []
    /// How many of `writes` went into commits: taking a commit moves it on instead of shifting
    /// every write still queued (a backlog of thousands of writes, one per drain, would be
    /// shifted once per commit). Their placeholders go when the queue empties, or once they
    /// are ``compactionThreshold`` and half of it.
    private var taken = 0
    /// What a taken write leaves in `writes`: nothing to release.
    private static let placeholder = StoreWrite.records([])
    /// How many taken writes the queue keeps at least before it drops them.
    private static let compactionThreshold = 1_024
    /// An emptied array of an earlier commit, which the next ``takeNextCommit()`` that takes
    /// everything (no cut) hands to `writes`: the queue fills without growing (each growth
    /// copies what it holds).
    private var spare: [StoreWrite] = []
    /// Indices in `writes` at which a commit ends early, one per `maxEventsPerCommit` events,
    /// from `nextCut` on.
    private var cuts: [Int] = []
    /// The first of `cuts` still ahead of `taken`.
    private var nextCut = 0
    /// Events queued since the last cut.
    private var eventsSinceCut = 0
    /// The store, held from the first write queued until the writer finds the queue empty.
    private var owner: AnyObject?
    /// Flushes waiting for the writer to find the queue empty.
    private var flushWaiters: [DispatchSemaphore] = []

    init(maxEventsPerCommit: Int = Self.defaultMaxEventsPerCommit) {
        self.maxEventsPerCommit = max(1, maxEventsPerCommit)
    }

    /// Whether the writer has work: writes queued or a commit under way.
    var isDraining: Bool { owner != nil }

    /// Queues `added`, writes one transaction must hold together, for `store`.
    /// - Returns: Whether the writer must be woken (it had no work).
    mutating func append(_ added: some Collection<StoreWrite>, for store: AnyObject) -> Bool {
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
        guard owner == nil else { return false }
        owner = store
        return true
    }

    /// Registers `done` to be signalled once the writer has no work.
    /// - Returns: False, registering nothing, when it has none now.
    mutating func waitUntilIdle(_ done: DispatchSemaphore) -> Bool {
        guard isDraining else { return false }
        flushWaiters.append(done)
        return true
    }

    /// The writes of the next commit: those before the next cut, else all of them; none when
    /// the queue is empty, and then the writer has no work left: ``idle()``.
    mutating func takeNextCommit() -> [StoreWrite] {
        guard nextCut < cuts.count, cuts[nextCut] < writes.count else {
            cuts.removeAll(keepingCapacity: true)
            nextCut = 0
            eventsSinceCut = 0
            guard taken == 0 else {
                let rest = take(upTo: writes.count)
                writes.removeAll(keepingCapacity: true)
                taken = 0
                return rest
            }
            defer {
                writes = spare
                spare = []
            }
            return writes
        }
        let commit = take(upTo: cuts[nextCut])
        nextCut += 1
        if taken >= Self.compactionThreshold && taken * 2 >= writes.count {
            writes.removeFirst(taken)
            cuts.removeFirst(nextCut)
            for index in cuts.indices {
                cuts[index] -= taken
            }
            taken = 0
            nextCut = 0
        }
        return commit
    }

    /// Moves the writes from `taken` to `end` out, leaving placeholders, and moves `taken` on.
    private mutating func take(upTo end: Int) -> [StoreWrite] {
        var moved: [StoreWrite] = []
        moved.reserveCapacity(end - taken)
        for index in taken..<end {
            var write = Self.placeholder
            swap(&write, &writes[index])
            moved.append(consume write)
        }
        taken = end
        return moved
    }

    /// Keeps `committed`, emptied, for a later commit to fill, unless an array at least as
    /// large is kept already.
    mutating func recycle(_ committed: consuming [StoreWrite]) {
        guard committed.isEmpty, committed.capacity > spare.capacity else { return }
        spare = committed
    }

    /// Records that the writer found the queue empty.
    /// - Returns: The store it held, to release outside the lock, and the flushes to signal
    ///   after that.
    mutating func idle() -> (owner: AnyObject?, flushed: [DispatchSemaphore]) {
        defer {
            owner = nil
            flushWaiters = []
        }
        return (owner, flushWaiters)
    }
}
