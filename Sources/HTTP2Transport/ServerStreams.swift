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
        /// Mutated only by `ServerStreams.update(_:_:)` and the methods built on it.
        fileprivate(set) var machine: ServerStreamStateMachine
        let head: GRPCRequestHead?
        let handler: RPCHandler?
        var deadline: ContinuousClock.Instant?
        var deadlineTimer: Scheduled<Void>?
        /// The bytes of the stream's buffers charged to the budget.
        fileprivate var chargedBytes = 0
        /// What the stream itself costs, charged when it opened: its request head and a fixed
        /// amount for its state here and in libnghttp2.
        fileprivate var openingCharge = 0
        /// The machine is being mutated (and may be calling into handler code); a waker that
        /// runs meanwhile only notes it.
        fileprivate var isBusy = false
        fileprivate var wokenWhileBusy = false
        /// When the stream opened, for the call's duration.
        let openedAt = ContinuousClock.now

        /// The method path of a call routed to a handler (what metrics may label).
        var routedPath: String? {
            handler == nil ? nil : head?.path
        }

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

    init(budget: BufferBudget, statistics: CallStatistics, logger: Logger) {
        self.budget = budget
        self.statistics = statistics
        self.logger = logger
    }

    /// How many streams are open.
    var count: Int { entries.count }

    /// The stream with `id`, if open.
    subscript(id: Int32) -> Entry? { entries[id] }

    /// What a stream costs beyond its header list: its entry and machine here, and its state in
    /// libnghttp2.
    static let streamOverhead = 1024

    /// Charges the budget for a stream about to open, whose request header list has `headerListSize`
    /// bytes (as SETTINGS_MAX_HEADER_LIST_SIZE counts them).
    /// - Returns: the charge to hand to ``open(_:_:head:handler:charge:)``, or nil when the
    ///   budget cannot take it: the stream is then refused.
    func chargeForOpening(headerListSize: Int, streamID: Int32) -> Int? {
        let charge = headerListSize + Self.streamOverhead
        guard budget.reserve(charge) else {
            logBudgetExhausted(streamID)
            return nil
        }
        return charge
    }

    /// Registers a new stream and performs its first action.
    /// - Parameter charge: What ``chargeForOpening(headerListSize:streamID:)`` charged; given
    ///   back when the stream closes.
    @discardableResult
    func open(
        _ machine: consuming ServerStreamStateMachine,
        _ action: ServerStreamStateMachine.Action = .none,
        head: GRPCRequestHead? = nil,
        handler: RPCHandler? = nil,
        charge: Int = 0
    ) -> Entry {
        let entry = Entry(machine, head: head, handler: handler)
        entry.openingCharge = charge
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
        logBudgetExhausted(entry.id)
        return false
    }

    private func logBudgetExhausted(_ streamID: Int32) {
        let metadata: Logger.Metadata = [
            "h2.stream_id": "\(streamID)", "server.max_buffered_bytes": "\(budget.limit)",
            "server.buffered_bytes": "\(budget.bytesInUse)",
        ]
        if budget.isFirstRefusal() {
            logger.warning("h2.buffer_budget_exhausted", metadata: metadata)
        } else {
            logger.debug("h2.buffer_budget_exhausted", metadata: metadata)
        }
    }

    /// The producer's waker ran: nghttp2 is asked for the stream's body again if it waits.
    /// During a call into the machine it is only noted, and answered after it.
    func wake(_ entry: Entry) {
        if entry.isBusy {
            entry.wokenWhileBusy = true
            return
        }
        update(entry) { $0.wake() }
    }

    /// The complete request of a stream queued for dispatch, handed over once.
    func takeRequest(of entry: Entry) -> [UInt8]? {
        var request: [UInt8]?
        update(entry) { machine in
            request = machine.takeRequest()
            return .none
        }
        return request
    }

    /// nghttp2 asks for up to `buffer.count` bytes of the stream's body.
    func readBody(of entry: Entry, into buffer: UnsafeMutableRawBufferPointer, chunkSize: Int, isDraining: Bool) -> ServerStreamStateMachine.BodyRead {
        entry.isBusy = true
        let read = entry.machine.readBody(into: buffer, chunkSize: chunkSize, isDraining: isDraining) { producer, output in
            entry.wokenWhileBusy = false
            let production = producer.produce(into: &output)
            defer { entry.wokenWhileBusy = false }
            return (production, entry.wokenWhileBusy)
        }
        entry.isBusy = false
        settle(entry)
        return read
    }

    /// Applies an event to a stream's machine and performs its action: the only way the
    /// machine is mutated, so handler code that runs meanwhile (a waker called from `receive`,
    /// `requestsEnded` or `cancel`) never re-enters it. A wake-up during the event is answered
    /// afterwards.
    func update(_ entry: Entry, _ event: (inout ServerStreamStateMachine) -> ServerStreamStateMachine.Action) {
        entry.isBusy = true
        let action = event(&entry.machine)
        entry.isBusy = false
        perform(action, on: entry)
        if entry.wokenWhileBusy {
            entry.wokenWhileBusy = false
            update(entry) { $0.wake() }
        }
    }

    /// Performs a machine's action against the session, then settles the stream's accounts.
    private func perform(_ action: ServerStreamStateMachine.Action, on entry: Entry) {
        defer { settle(entry) }
        guard let session else { return }
        let id = entry.id
        switch action {
        case .none:
            return
        case .submitResponse(let headers):
            submit(entry) { () throws(HTTP2Error) in try session.submitResponse(streamID: id, headers: headers, hasBody: true) }
        case .submitTrailersOnly(let status):
            statistics.record(status.code, path: entry.routedPath, openedAt: entry.openedAt)
            submit(entry) { () throws(HTTP2Error) in
                try session.submitHeaders(streamID: id, headers: GRPCResponseHeaders.trailersOnly(status), endStream: true)
            }
        case .resumeBody:
            session.resumeData(streamID: id)
        case .reset(let errorCode, let status):
            if let status { statistics.record(status.code, path: entry.routedPath, openedAt: entry.openedAt) }
            if errorCode != HTTP2ErrorCodes.noError {
                logger.debug("h2.stream_reset", metadata: ["h2.stream_id": "\(id)", "h2.error_code": "\(errorCode)"])
            }
            session.resetStream(streamID: id, errorCode: errorCode)
        case .dispatch:
            ready.append(id)
        }
    }

    /// Gives back to the connection window the request bytes the stream no longer holds, and
    /// brings its budget charge in line with what it buffers now.
    func settle(_ entry: Entry) {
        entry.isBusy = true
        let (releasable, buffered) = entry.machine.accounts()
        entry.isBusy = false
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
        switch entry.machine.state {
        case .receiving, .dispatchable, .awaitingAnswer, .responding:
            // Closed before it sent a status (the client reset it, the connection went): the
            // call ends CANCELLED, as the client sees it.
            statistics.record(.cancelled, path: entry.routedPath, openedAt: entry.openedAt)
        case .discarding, .finished, .closed:
            break
        }
        update(entry) { machine in
            machine.close()
            return .none
        }
        budget.adjust(by: -entry.openingCharge)
        entry.openingCharge = 0
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
            update(entry) { $0.submitFailed() }
        }
    }
}
