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
        var builder = Builder(matching: filter, limit: limit)
        for event in examined {
            guard builder.examine(event.sequence, { event }) else { break }
        }
        self = builder.scan
    }

    /// Builds a scan from events examined one at a time, in order: the rules of a store's
    /// filtered read (see ``EventStore/events(after:through:matching:scanLimit:limit:)``) in one
    /// place for every store.
    package struct Builder {
        private let filter: EventFilter
        private let limit: Int
        /// The scan so far.
        package private(set) var scan = StoredEventScan(events: [], scanned: nil)

        /// Starts a scan for the events `filter` matches, at most `limit` of them.
        package init(matching filter: EventFilter, limit: Int) {
            self.filter = filter
            self.limit = limit
        }

        /// Examines the event with `sequence`, the next one read; `event` gives it, or `nil`
        /// when the store knows without decoding it that it cannot match.
        ///
        /// - Returns: Whether the scan goes on: not at a gap before `sequence` (the event is not
        ///   examined then), nor once `limit` events matched.
        package mutating func examine(_ sequence: UInt64, _ event: () throws -> LogEvent?) rethrows -> Bool {
            if let scanned = scan.scanned {
                guard sequence == scanned.upperBound + 1 else { return false }
                scan.scanned = scanned.lowerBound...sequence
            } else {
                scan.scanned = sequence...sequence
            }
            guard let event = try event(), filter.matches(event) else { return true }
            scan.events.append(event)
            return scan.events.count < limit
        }
    }
}
