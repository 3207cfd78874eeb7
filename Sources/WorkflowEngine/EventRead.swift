import WorkflowModel

/// The answer to ``EventLog/read(after:matching:limit:)``.
public enum EventRead: Sendable, Hashable {
    /// The matching events after the requested sequence, in order, and the last sequence the
    /// read examined. Continue from `scannedThrough` (not from the last event returned): the
    /// events between were examined and did not match. `scannedThrough` equals the requested
    /// sequence when nothing newer exists.
    case events([LogEvent], scannedThrough: UInt64)

    /// Events right after the requested sequence are no longer retained; the oldest retained
    /// one has sequence `oldestRetained`. A service answers `OUT_OF_RANGE`, or, when the caller
    /// asked for "everything retained", reads again after `oldestRetained - 1`.
    case truncated(oldestRetained: UInt64)

    /// The events after the requested sequence are in the store, which could not be read
    /// (`reason` says why; the log logged it): try again later, nothing was skipped.
    case unavailable(reason: String)
}

extension EventRead {
    /// The read as a visit (see ``EventLog/visit(after:matching:limit:_:)``): each event lent
    /// to `body` in order until it returns `false`.
    public func visit(_ body: (borrowing LogEvent) -> Bool) -> EventVisit {
        switch self {
        case .truncated(let oldestRetained):
            return .truncated(oldestRetained: oldestRetained)
        case .unavailable(let reason):
            return .unavailable(reason: reason)
        case .events(let events, let scannedThrough):
            for event in events where !body(event) {
                return .scanned(through: event.sequence)
            }
            return .scanned(through: scannedThrough)
        }
    }
}
