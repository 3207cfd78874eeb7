import RPCCore
import WorkflowMessages

/// Decides what each `WatchLogs` call of a watch asks for, and what to do with what comes
/// back, so that across reconnects nothing is delivered twice and nothing is skipped: a pure
/// state machine, tested without sockets.
///
/// ## Resuming with a verified overlap
///
/// After the first call, every call resumes **one event before** the last event delivered
/// (`after_sequence = last - 1`) and expects that event back first, unchanged:
///
/// - it comes back: the server has the same log; it is dropped (already delivered) and every
///   later event is new. This is exact once the server keeps its log across restarts.
/// - a different event comes back where it was, or `OUT_OF_RANGE` (the position is ahead of
///   the server's newest event): the server's log is not the one the watch was reading; it
///   restarted with an empty in-memory log and numbers from 1 again. Events of the new log
///   were never delivered, so the watch reopens **from the new log's first event** and reports
///   ``WatchNotice/logRestarted(address:lastSequence:)``.
///
/// A plain `after_sequence = last` would silently skip the new log's first `last` events
/// whenever the restarted server had already logged more than that.
///
/// Only stored events are used for the check; after a GAP marker (whose sequence is not a
/// stored event) or an event of a kind this build does not know, the next call resumes after
/// it without a check.
///
/// ## States
///
/// - fresh: no call made yet → `nextRequest()` asks for what the user asked (`--after`,
///   `--live`).
/// - verifying (a call resumed with an overlap and nothing came back yet) → `received`
///   answers `.skip` (same log, now streaming) or `.reopen` (new log; back to "from start");
///   `failed(OUT_OF_RANGE)` answers `.reopen` too.
/// - streaming → `received` answers `.deliver`, or `.skip` for anything not newer than the
///   last delivered event.
/// - from start (after a restart was detected) → `nextRequest()` asks for `after_sequence 0`.
///
/// ```swift
/// var resumption = WatchResumption(request: WorkflowV1.WatchLogsRequest())
/// let request = resumption.nextRequest()
/// switch resumption.received(event) { case .deliver: print(event) case .skip: break case .reopen: ... }
/// ```
package struct WatchResumption: Sendable {
    /// What to do with an event that arrived.
    package enum EventAction: Hashable, Sendable {
        /// Hand it to the user.
        case deliver
        /// Drop it: it was delivered before.
        case skip
        /// Drop it and the stream it came on, tell the user why, and call again with
        /// ``nextRequest()``, which now starts at the server's first event.
        case reopen(WatchNotice.Reason)
    }

    /// What to do when a call ended with a status other than OK.
    package enum FailureAction: Hashable, Sendable {
        /// The connection is gone: reconnect with backoff, then call ``nextRequest()``.
        case reconnect
        /// Tell the user why and call ``nextRequest()`` again on the same connection.
        case reopen(WatchNotice.Reason)
        /// Stop the watch with this status.
        case fail
    }

    private let request: WorkflowV1.WatchLogsRequest
    private var lastDelivered: WorkflowV1.LogEvent?
    private var expectedOverlap: WorkflowV1.LogEvent?
    private var eventsInCall = 0
    private var fromStart = false
    private var trustsLastEvent = false

    /// How many calls were made, counting the current one.
    package private(set) var callCount = 0

    /// Creates the state for a watch.
    ///
    /// - Parameter request: What the user asked for: workflow, level, `after_sequence`,
    ///   `live_only`.
    package init(request: WorkflowV1.WatchLogsRequest) {
        self.request = request
    }

    /// The sequence of the last event delivered, if any.
    package var lastSequence: UInt64? { lastDelivered?.sequence }

    /// The last event delivered, if any.
    package var lastEvent: WorkflowV1.LogEvent? { lastDelivered }

    /// Whether the current call resumes an earlier one (it is not the first call).
    package var isResuming: Bool { callCount > 1 }

    /// The request for the next call; call it once per call.
    ///
    /// - Returns: The user's request at first; afterwards the same filters, resuming as
    ///   described in the type's discussion.
    package mutating func nextRequest() -> WorkflowV1.WatchLogsRequest {
        callCount += 1
        eventsInCall = 0
        expectedOverlap = nil
        var next = request
        if let last = lastDelivered {
            next.liveOnly = false
            if Self.isStoredKind(last.kind), last.sequence > 0, !trustsLastEvent {
                next.afterSequence = last.sequence - 1
                expectedOverlap = last
            } else {
                next.afterSequence = last.sequence
            }
        } else if fromStart {
            next.liveOnly = false
            next.afterSequence = 0
        }
        trustsLastEvent = false
        return next
    }

    /// Makes the next call resume right after the last event delivered, without the overlap
    /// check: for a call on the same connection right after a stream ended with OK, where the
    /// server cannot have restarted in between.
    ///
    /// A one-workflow stream ends after the workflow's terminal event, so an overlap on that
    /// event would end the next stream at once; continuing after it instead shows whether a
    /// retry started a new attempt.
    package mutating func continueAfterLastEvent() {
        trustsLastEvent = true
    }

    /// Decides what to do with an event of the current call.
    ///
    /// - Parameter event: The event, in the order the server sent it.
    /// - Returns: The action.
    package mutating func received(_ event: WorkflowV1.LogEvent) -> EventAction {
        eventsInCall += 1
        if let expected = expectedOverlap {
            expectedOverlap = nil
            if event == expected { return .skip }
            if Self.isStoredKind(event.kind) || event.sequence <= expected.sequence {
                startOver()
                return .reopen(.logRestarted)
            }
        }
        if let last = lastDelivered, event.sequence <= last.sequence { return .skip }
        lastDelivered = event
        return .deliver
    }

    /// Decides what to do when the current call ended with `status` (not OK).
    ///
    /// - Parameter status: How the call ended.
    /// - Returns: The action.
    package mutating func failed(_ status: RPCStatus) -> FailureAction {
        let answeredNothing = eventsInCall == 0
        expectedOverlap = nil
        if status.code == .outOfRange, answeredNothing, isResuming, lastDelivered != nil {
            startOver()
            // The message is only used to word the notice; the action is the same either way.
            return .reopen(status.message.contains("ahead") ? .logRestarted : .eventsNoLongerRetained)
        }
        if status.code == .unavailable { return .reconnect }
        return .fail
    }

    private mutating func startOver() {
        lastDelivered = nil
        fromStart = true
    }

    /// The kinds a server stores in its log and replays unchanged: all but GAP, a marker made
    /// up per stream, and kinds this build does not know (which may be such markers too).
    private static func isStoredKind(_ kind: WorkflowV1.LogEventKind) -> Bool {
        kind != .gap && kind != .unspecified && WorkflowV1.LogEventKind.protoNames[kind.rawValue] != nil
    }
}
