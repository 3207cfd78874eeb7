/// The answer to ``EventLog/visit(after:matching:limit:_:)``.
public enum EventVisit: Sendable, Hashable {
    /// The matching events were handed over; continue after `through`, the last sequence
    /// examined (it equals the requested sequence when nothing newer exists).
    case scanned(through: UInt64)

    /// Events right after the requested sequence are no longer retained; the oldest retained
    /// one has sequence `oldestRetained`.
    case truncated(oldestRetained: UInt64)

    /// The events after the requested sequence are in the store, which could not be read
    /// (`reason` says why; the log logged it): try again later, nothing was skipped.
    case unavailable(reason: String)
}
