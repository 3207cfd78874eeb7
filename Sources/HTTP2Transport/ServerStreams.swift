import Logging
import NGHTTP2
import NIOCore
import RPCCore

/// The open streams of one server connection: each stream's ``ServerStreamStateMachine`` and
/// what its connection keeps beside it, the actions the machines return performed against the
/// session, and the accounting that follows every event (request bytes given back to the
/// connection window, the stream's charge on the server's ``BufferBudget``).
///
/// Owned by a `GRPCServerConnectionHandler` and used on its event loop only.
final class ServerStreams {
    /// A stream's machine and what the connection keeps beside it.
    final class Entry {
        let id: Int32
        var machine: ServerStreamStateMachine
        let head: GRPCRequestHead?
        let handler: RPCHandler?
        var deadline: ContinuousClock.Instant?
        var deadlineTimer: Scheduled<Void>?
        /// The bytes charged to the budget for this stream.
        fileprivate var chargedBytes = 0
        /// The machine is calling into handler code; a waker that runs meanwhile only notes it.
        var isBusy = false
        var wokenWhileBusy = false

        init(_ machine: consuming ServerStreamStateMachine, head: GRPCRequestHead?, handler: RPCHandler?) {
            self.id = machine.id
            self.machine = machine
            self.head = head
            self.handler = handler
        }
    }

    /// The session the actions go to; set once it exists.
    var session: HTTP2Session?
    private let budget: BufferBudget
    private let statistics: CallStatistics
    private let logger: Logger
    private var entries: [Int32: Entry] = [:]
    /// Streams whose request completed during the current read, to dispatch after it.
    private var ready: [Int32] = []
    private var hasWarnedAboutBudget = false

    init(budget: BufferBudget, statistics: CallStatistics, logger: Logger) {
        self.budget = budget
        self.statistics = statistics
        self.logger = logger
    }

    /// How many streams are open.
    var count: Int { entries.count }

    /// The stream with `id`, if open.
    subscript(id: Int32) -> Entry? { entries[id] }

    /// Registers a new stream and performs its first action.
    @discardableResult
    func open(
        _ machine: consuming ServerStreamStateMachine,
        _ action: ServerStreamStateMachine.Action = .none,
        head: GRPCRequestHead? = nil,
        handler: RPCHandler? = nil
    ) -> Entry {
        let entry = Entry(machine, head: head, handler: handler)
        entries[entry.id] = entry
        perform(action, on: entry)
        return entry
    }

    /// The streams queued for dispatch since the last call.
    func takeReady() -> [Int32] {
        defer { ready.removeAll(keepingCapacity: true) }
        return ready
    }

    /// Hands DATA to a stream; what it keeps is charged to the budget first.
    func receive(_ data: UnsafeRawBufferPointer, on entry: Entry) {
        update(entry) { machine in machine.receivedData(data) { self.reserve($0, for: entry) } }
    }

    /// Charges `count` incoming bytes for `entry` to the budget.
    /// - Returns: false when they do not fit (the stream is then ended by its machine).
    private func reserve(_ count: Int, for entry: Entry) -> Bool {
        if budget.reserve(count) {
            entry.chargedBytes += count
            return true
        }
        let metadata: Logger.Metadata = [
            "h2.stream_id": "\(entry.id)", "server.max_buffered_bytes": "\(budget.limit)",
            "server.buffered_bytes": "\(budget.bytesInUse)",
        ]
        if hasWarnedAboutBudget {
            logger.debug("h2.buffer_budget_exhausted", metadata: metadata)
        } else {
            hasWarnedAboutBudget = true
            logger.warning("h2.buffer_budget_exhausted", metadata: metadata)
        }
        return false
    }

    /// Applies an event to a stream's machine and performs its action. A waker that runs while
    /// the machine calls into handler code is answered afterwards.
    func update(_ entry: Entry, _ event: (inout ServerStreamStateMachine) -> ServerStreamStateMachine.Action) {
        entry.isBusy = true
        let action = event(&entry.machine)
        entry.isBusy = false
        perform(action, on: entry)
        if entry.wokenWhileBusy {
            entry.wokenWhileBusy = false
            perform(entry.machine.wake(), on: entry)
        }
    }

    /// Performs a machine's action against the session, then settles the stream's accounts.
    func perform(_ action: ServerStreamStateMachine.Action, on entry: Entry) {
        defer { settle(entry) }
        guard let session else { return }
        let id = entry.id
        switch action {
        case .none:
            return
        case .submitResponse(let headers):
            submit(entry) { () throws(HTTP2Error) in try session.submitResponse(streamID: id, headers: headers, hasBody: true) }
        case .submitTrailersOnly(let status):
            statistics.record(status.code)
            submit(entry) { () throws(HTTP2Error) in
                try session.submitHeaders(streamID: id, headers: GRPCResponseHeaders.trailersOnly(status), endStream: true)
            }
        case .resumeBody:
            session.resumeData(streamID: id)
        case .reset(let errorCode, let status):
            if let status { statistics.record(status.code) }
            session.resetStream(streamID: id, errorCode: errorCode)
        case .dispatch:
            ready.append(id)
        }
    }

    /// Gives back to the connection window the request bytes the stream no longer holds, and
    /// brings its budget charge in line with what it buffers now.
    func settle(_ entry: Entry) {
        let (releasable, buffered) = entry.machine.settle()
        session?.consumeConnectionWindow(releasable)
        budget.adjust(by: buffered - entry.chargedBytes)
        entry.chargedBytes = buffered
    }

    /// The one teardown of a stream (nghttp2 closed it): its producer cancelled, its timer
    /// stopped, its window and budget given back.
    func close(_ id: Int32) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        close(entry)
    }

    /// Tears down a stream that stays registered until nghttp2 closes it (its header list
    /// was rejected).
    func close(_ entry: Entry) {
        entry.deadlineTimer?.cancel()
        entry.deadlineTimer = nil
        entry.isBusy = true
        entry.machine.close()
        entry.isBusy = false
        settle(entry)
    }

    /// Tears down every stream: the connection is gone.
    func closeAll() {
        let open = entries
        entries.removeAll()
        for entry in open.values { close(entry) }
    }

    /// Calls `body` for each open stream.
    func forEach(_ body: (Entry) -> Void) {
        for entry in entries.values { body(entry) }
    }

    /// Runs a submit call; a failure resets the stream rather than leaving it hanging.
    private func submit(_ entry: Entry, _ body: () throws(HTTP2Error) -> Void) {
        do {
            try body()
        } catch {
            logger.debug("h2.submit_failed", metadata: ["h2.stream_id": "\(entry.id)", "h2.error": "\(error)"])
            perform(entry.machine.submitFailed(), on: entry)
        }
    }
}
