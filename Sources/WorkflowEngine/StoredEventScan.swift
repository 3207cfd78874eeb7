import WorkflowModel

/// What ``EventStore/events(after:through:matching:scanLimit:limit:)`` found: the matching
/// events and the sequences examined.
public struct StoredEventScan: Sendable, Equatable {
    /// The matching events, oldest first.
    public var events: [LogEvent]
    /// The sequences of the first and the last event examined; `nil` when none was (nothing
    /// stored in the range).
    public var scanned: ClosedRange<UInt64>?

    /// Creates a scan result.
    public init(events: [LogEvent], scanned: ClosedRange<UInt64>?) {
        self.events = events
        self.scanned = scanned
    }

    /// The scan of `examined`, events read in order from the first one stored after the
    /// reader's cursor: it ends at a gap in their sequences and after the `limit`th event that
    /// `filter` matches.
    public init(scanning examined: [LogEvent], matching filter: EventFilter, limit: Int) {
        var matches: [LogEvent] = []
        var scanned: ClosedRange<UInt64>?
        for event in examined {
            if let scanned, event.sequence != scanned.upperBound + 1 { break }
            scanned = (scanned?.lowerBound ?? event.sequence)...event.sequence
            guard filter.matches(event) else { continue }
            matches.append(event)
            if matches.count >= limit { break }
        }
        self.init(events: matches, scanned: scanned)
    }
}
