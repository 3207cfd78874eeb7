import Synchronization

/// Per-workflow scratch state, keyed by workflow id, that lets one job hand its result to the
/// next (fetch → process → validate → save).
///
/// The jobs of a ``TemplateDeclaration`` report to the scratchpad when they start and end
/// (``jobStarted(_:)``, ``jobEnded(_:_:)``), so it knows each entry's workflow:
///
/// - A workflow that completes or is cancelled loses its entry when its job returns.
/// - A workflow that fails keeps its entry, so that a retry, which re-runs the failed job and
///   the ones after it, finds the earlier jobs' results.
/// - Beyond ``capacity`` entries, the scratchpad evicts entries kept for a retry, the
///   longest-failed first; then entries that look abandoned (no job has run for
///   ``abandonedAfter``, see below). It never evicts the entry of a workflow whose job is running
///   or that is between two jobs: when every entry belongs to such a workflow, the scratchpad
///   grows beyond ``capacity`` until they end. A job whose input was evicted derives it again
///   (see ``ScratchState``).
///
/// The engine tells a job nothing about how its workflow ends; a job learns of a cancel request
/// only through `JobContext.isCancelled`. A cancel that arrives after a job's
/// last look at it and before the engine records the job's end leaves the workflow cancelled
/// with an entry that seems to wait for its next job; such an entry counts as abandoned once no
/// job has run for ``abandonedAfter``. Likewise, a retry cancelled before its first job starts
/// leaves the entry kept for a retry, which is evicted first. At shutdown the engine cancels
/// the jobs still running, so their entries go although their workflows stay RUNNING, to resume
/// in the next process; the scratchpad is in memory and ends with the process anyway, and a
/// resumed job derives its inputs again. An attempt the engine abandoned (a timeout past its
/// grace) may end while the next attempt runs and remove the entry; the next job then derives
/// its inputs again too.
///
/// ```swift
/// let scratchpad = WorkflowScratchpad(capacity: 256)
/// scratchpad.jobStarted("wf-1")
/// scratchpad.update("wf-1") { $0.rules = [] }
/// scratchpad.jobEnded("wf-1", .workflowFailed)  // kept for a retry
/// ```
package final class WorkflowScratchpad: Sendable {
    /// How a job of a workflow ended, as the job saw it.
    package enum JobEnd: Sendable, Hashable {
        /// The job succeeded and a later job of the workflow runs next.
        case continuing
        /// The workflow's last job succeeded: the workflow completes.
        case workflowCompleted
        /// The job ended after it was asked to stop: the workflow ends cancelled (or, after a
        /// timeout or a shutdown, the job runs again and derives its inputs anew).
        case workflowCancelled
        /// The job's attempt failed: the job runs again, or the workflow fails and may be
        /// retried.
        case workflowFailed
    }

    /// Where an entry's workflow is. Legal next phases: `jobRunning` → `betweenJobs`,
    /// `keptForRetry` or removed; `betweenJobs` → `jobRunning` or evicted once abandoned;
    /// `keptForRetry` → `jobRunning` (a retry) or evicted.
    private enum Phase {
        /// A job of the workflow runs; the entry is never evicted.
        case jobRunning
        /// A job completed at `since` and the next has not started; never evicted while
        /// younger than ``abandonedAfter``.
        case betweenJobs(since: ContinuousClock.Instant)
        /// The workflow failed; the entry waits for a retry and is evicted first.
        case keptForRetry
    }

    private struct Entry {
        var scratch = ScratchState()
        var phase = Phase.jobRunning
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Workflow ids, oldest first; a failed workflow moves to the end.
        var order: [String] = []
    }

    /// How many workflows' entries are kept while some of them may be evicted.
    package let capacity: Int
    /// How long an entry between two jobs may wait for the next job before it counts as
    /// abandoned (see the discussion above).
    package let abandonedAfter: Duration
    // Sendable: all mutable state lives in the Mutex; the rest is immutable.
    private let state = Mutex(State())

    /// Creates an empty scratchpad.
    ///
    /// - Parameters:
    ///   - capacity: How many workflows' entries are kept while some may be evicted (at least 1).
    ///   - abandonedAfter: How long an entry between two jobs waits for the next job before it
    ///     may be evicted.
    package init(capacity: Int = 256, abandonedAfter: Duration = .seconds(60)) {
        self.capacity = max(1, capacity)
        self.abandonedAfter = abandonedAfter
    }

    /// Reads a value of workflow `id`'s entry, if the entry exists.
    package func read<Value: Sendable>(_ id: String, _ body: (ScratchState) -> Value?) -> Value? {
        state.withLock { state in state.entries[id].flatMap { body($0.scratch) } }
    }

    /// Changes workflow `id`'s entry, creating it for a running job (and evicting beyond
    /// capacity what may be evicted).
    package func update(_ id: String, _ body: (inout ScratchState) -> Void) {
        state.withLock { state in
            if state.entries[id] == nil {
                state.entries[id] = Entry()
                state.order.append(id)
                evictBeyondCapacity(&state)
            }
            body(&state.entries[id, default: Entry()].scratch)
        }
    }

    /// Marks workflow `id`'s entry, if any, in use by a running job: a retry's first job takes
    /// back the entry its failed attempt kept.
    package func jobStarted(_ id: String) {
        state.withLock { state in
            state.entries[id]?.phase = .jobRunning
        }
    }

    /// Records how a job of workflow `id` ended: removes the entry when the workflow completes
    /// or is cancelled, keeps it for a retry when it fails.
    package func jobEnded(_ id: String, _ end: JobEnd) {
        state.withLock { state in
            guard state.entries[id] != nil else { return }
            switch end {
            case .continuing:
                state.entries[id]?.phase = .betweenJobs(since: .now)
            case .workflowCompleted, .workflowCancelled:
                state.entries[id] = nil
                state.order.removeAll { $0 == id }
            case .workflowFailed:
                state.entries[id]?.phase = .keptForRetry
                state.order.removeAll { $0 == id }
                state.order.append(id)
                evictBeyondCapacity(&state)
            }
        }
    }

    /// Forgets workflow `id`'s entry.
    package func remove(_ id: String) {
        state.withLock { state in
            guard state.entries.removeValue(forKey: id) != nil else { return }
            state.order.removeAll { $0 == id }
        }
    }

    /// How many workflows have an entry.
    package var count: Int {
        state.withLock { $0.entries.count }
    }

    /// Evicts, while there are more than ``capacity`` entries, the oldest kept for a retry,
    /// then the oldest abandoned between two jobs; never one whose workflow is running.
    private func evictBeyondCapacity(_ state: inout State) {
        let now = ContinuousClock.now
        func evictable(_ entry: Entry, abandonedToo: Bool) -> Bool {
            switch entry.phase {
            case .keptForRetry: true
            case .betweenJobs(let since): abandonedToo && since.duration(to: now) >= abandonedAfter
            case .jobRunning: false
            }
        }
        for abandonedToo in [false, true] {
            while state.entries.count > capacity,
                  let index = state.order.firstIndex(where: { id in
                      state.entries[id].map { evictable($0, abandonedToo: abandonedToo) } ?? true
                  }) {
                state.entries[state.order.remove(at: index)] = nil
            }
        }
    }
}
