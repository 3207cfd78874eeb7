import Foundation
import RPCCore
import Synchronization
import WorkflowEngine
import WorkflowMessages
import WorkflowModel

/// Produces one WatchLogs stream from the engine's event log.
///
/// The transport pulls (``produce(into:)``) only when flow control lets it send, so the stream's
/// position is just a cursor into the retained log: a client that stops reading costs nothing
/// but that cursor. Replay and live following are the same loop, so the seam between them can
/// neither drop nor repeat an event: when the cursor catches up, the producer registers for the
/// next append (which the log refuses if an event slipped in meanwhile) and answers `.pending`.
///
/// Events older than the log holds in memory come from the store, and a read of the store can
/// wait on the disk: those reads run on a background queue (``StoreReads``) while the stream
/// answers `.pending`, and the events they bring are sent at the next pull. The event loop never
/// reads the disk.
final class WatchLogsProducer: ServerStreamProducer {
    /// The most events read from the log per call into it (a read from memory stops sooner
    /// once the output holds its budget).
    private static let readBatch = 256
    /// The most events the first read of the store brings: a watch from a deep cursor sends its
    /// first events once the store found these few, not a whole batch; each later read may
    /// bring four times as many, up to ``readBatch``.
    private static let firstStoreBatch = 16
    /// Reads of the log one `produce` call makes at most before yielding the event loop (each
    /// read scans a bounded number of events, so a sparse filter over a large log is paced).
    private static let readsPerProduce = 8

    /// What the producer knows of the watched workflow when the stream starts (the service looks
    /// it up on the engine before it creates the producer).
    enum WorkflowState: Sendable {
        /// Still running, or every workflow is watched.
        case running
        /// It had ended when the call arrived: the stream ends once the log holds nothing more for it.
        case finished
    }

    private struct State {
        /// The last sequence read or scanned.
        var cursor: UInt64
        var waiter: AppendWaiter?
        var isCancelled = false
        /// The attempt of the watched workflow that was seen ended after a visit; the watch
        /// ends only when a later visit finds nothing new (the workflow's last events may have
        /// become visible between that visit and the look at the workflow).
        var endedAttemptSeen: Int?
        /// What a background read of the store brought, for the cursor it read after.
        var fetched: (after: UInt64, read: EventRead)?
        /// Whether a background read of the store is under way.
        var isFetching = false
        /// The most events the next read of the store brings.
        var storeBatch = firstStoreBatch
    }

    private let log: EventLog
    private let filter: EventFilter
    private let workflow: WorkflowState
    private let workflowProgress: (@Sendable () -> WorkflowProgress)?
    private let encodedEvents: EncodedEventCache
    /// Checked at every pull: a revoked or expired token ends the watch before anything more
    /// is sent.
    private let credentials: CallerCheck
    private let waker: StreamWaker
    private let state: Mutex<State>

    /// - Parameters:
    ///   - cursor: events with a greater sequence are sent.
    ///   - workflowProgress: for a single-workflow watch, where that workflow is now. A
    ///     terminal event of an earlier attempt (the workflow was retried since) does not end
    ///     the watch, and a watch whose terminal event was pruned or filtered out ends once it
    ///     has caught up with a workflow that has ended.
    ///   - encodedEvents: encodings shared with the server's other streams (one cache per
    ///     server; events older than its window are encoded for this stream alone).
    ///   - credentials: the caller's, checked before every pull sends anything.
    init(
        log: EventLog, filter: EventFilter, cursor: UInt64, workflow: WorkflowState,
        workflowProgress: (@Sendable () -> WorkflowProgress)? = nil,
        encodedEvents: EncodedEventCache,
        credentials: CallerCheck,
        waker: StreamWaker
    ) {
        self.log = log
        self.filter = filter
        self.workflow = workflow
        self.workflowProgress = workflowProgress
        self.encodedEvents = encodedEvents
        self.credentials = credentials
        self.waker = waker
        self.state = Mutex(State(cursor: cursor))
        Self.openWatches.opened()
    }

    deinit {
        Self.openWatches.closed()
    }

    /// `workflow_watchlogs_streams`: WatchLogs streams open now.
    private static let openWatches = OpenStreamGauge(label: "workflow_watchlogs_streams")

    func produce(into output: inout StreamOutput) -> StreamProduction {
        if let revoked = credentials.revocation() {
            return .finished(revoked)
        }
        return state.withLock { state in
            guard !state.isCancelled else { return .finished(RPCStatus(code: .cancelled, message: "watch cancelled")) }
            for _ in 0..<Self.readsPerProduce {
                // Events are encoded straight from the log (no copy); a single-workflow watch
                // stops at a terminal event, checked against the workflow's attempt after the
                // visit (the check reads the engine, which must not happen under the log's lock).
                var terminalAttempt: Int?
                let newest = log.lastSequence
                let encode = { [filter, encodedEvents] (event: borrowing LogEvent, output: inout StreamOutput) -> Bool in
                    encodedEvents.append(event, newestSequence: newest, to: &output)
                    guard filter.workflowID != nil, event.isTerminalWorkflowEvent else { return true }
                    terminalAttempt = event.attempt
                    return false
                }
                let visit: EventVisit
                if let fetched = state.fetched, fetched.after == state.cursor {
                    state.fetched = nil
                    visit = fetched.read.visit { encode($0, &output) }
                } else if !log.holdsInMemory(after: state.cursor) {
                    // Older than memory: read the store elsewhere, send what it brings next time.
                    state.fetched = nil
                    guard !state.isFetching else { return .pending }
                    state.isFetching = true
                    fetchFromStore(after: state.cursor, limit: state.storeBatch)
                    state.storeBatch = min(Self.readBatch, state.storeBatch * 4)
                    return .pending
                } else {
                    // No further than the output's budget: the transport asked for that much,
                    // and a deep cursor's first events go out without a whole batch before them.
                    visit = log.visit(after: state.cursor, matching: filter, limit: Self.readBatch) { event in
                        encode(event, &output) && !output.isFull
                    }
                }
                switch visit {
                case .unavailable(let reason):
                    // The events are there but cannot be read now: the watcher resumes later.
                    return .finished(RPCStatus(
                        code: .unavailable, message: "\(reason); watch again with after_sequence=\(state.cursor) to resume"
                    ))
                case .truncated(let oldestRetained):
                    // Never skip silently: tell the watcher what it missed, then go on.
                    let missed = (state.cursor + 1)...(oldestRetained - 1)
                    output.appendMessage { Self.gapEvent(missed).serialize(appendingTo: &$0) }
                    state.cursor = oldestRetained - 1
                case .scanned(let scannedThrough):
                    let caughtUp = scannedThrough <= state.cursor
                    state.cursor = max(state.cursor, scannedThrough)
                    if let terminalAttempt, terminalAttempt >= workflowProgress?().attempt ?? 0 {
                        return .finished(.ok)
                    }
                    if output.isFull { return .more }
                    // An earlier attempt's terminal event: the retried workflow goes on.
                    if terminalAttempt != nil { continue }
                    guard caughtUp else { continue }
                    if case .finished = workflow { return .finished(.ok) }
                    if let progress = workflowProgress?(), progress.hasEnded {
                        if state.endedAttemptSeen == progress.attempt { return .finished(.ok) }
                        state.endedAttemptSeen = progress.attempt
                        continue
                    }
                    if let previous = state.waiter { log.cancel(previous) }
                    state.waiter = log.notifyOnAppend(after: state.cursor) { [waker] in waker() }
                    if state.waiter == nil { continue }
                    return .pending
                }
            }
            // Still scanning: the transport asks again on the next loop turn.
            return .more
        }
    }

    /// Reads up to `limit` events after `cursor` from the store on ``StoreReads`` and wakes the
    /// stream with the result.
    private func fetchFromStore(after cursor: UInt64, limit: Int) {
        let (log, filter, waker) = (log, filter, waker)
        StoreReads.run { [weak self] in
            let read = log.read(after: cursor, matching: filter, limit: limit)
            self?.state.withLock { state in
                state.fetched = (cursor, read)
                state.isFetching = false
            }
            waker()
        }
    }

    /// The marker sent in place of events that were pruned before this watcher read them.
    static func gapEvent(_ missed: ClosedRange<UInt64>) -> WorkflowV1.LogEvent {
        WorkflowV1.LogEvent(
            sequence: missed.upperBound,
            timestampMs: Int64((Date().timeIntervalSince1970 * 1000).rounded()),
            kind: .gap,
            level: .warn,
            message: "missed events \(missed.lowerBound)...\(missed.upperBound): they are no longer retained",
            gapFromSequence: missed.lowerBound,
            gapToSequence: missed.upperBound
        )
    }

    func cancel() {
        let waiter = state.withLock { state in
            state.isCancelled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter { log.cancel(waiter) }
    }
}
