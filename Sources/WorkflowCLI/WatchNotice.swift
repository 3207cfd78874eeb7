/// Something a watch tells the user besides events: the connection was lost or regained, or
/// the server's event log is not the one the watch was reading.
package enum WatchNotice: Hashable, Sendable {
    /// Why a watch reopened its stream from the server's first event.
    package enum Reason: Hashable, Sendable {
        /// The server restarted with a new event log.
        case logRestarted
        /// The server no longer retains the events after the last one delivered.
        case eventsNoLongerRetained
    }

    /// The connection was lost; the watch reconnects. The associated values are the server's
    /// address, what the client reported, and the last sequence delivered (if any).
    case connectionLost(address: ServerAddress, detail: String, lastSequence: UInt64?)
    /// The watch is connected again after `downtimeMs` and resumes after `lastSequence`.
    case reconnected(address: ServerAddress, downtimeMs: Int64, lastSequence: UInt64?)
    /// The server's log no longer has the last event the watch delivered where it was: the
    /// server restarted with a new, empty log. The watch continues with every event of the new
    /// log, from its first.
    case logRestarted(address: ServerAddress, lastSequence: UInt64?)
    /// The events after the last one delivered are no longer retained by the server: some were
    /// missed. The watch continues with the oldest retained event.
    case eventsNoLongerRetained(address: ServerAddress, lastSequence: UInt64?)

    /// The notice as one line for people.
    package var text: String {
        switch self {
        case .connectionLost(let address, let detail, let last):
            "lost the connection to workflowd at \(address) (\(detail)); reconnecting\(Self.resuming(last))"
        case .reconnected(let address, let downtimeMs, let last):
            "reconnected to \(address) after \(TimeText.duration(milliseconds: downtimeMs))\(Self.resuming(last))"
        case .logRestarted(let address, let last):
            "workflowd at \(address) restarted with a new event log (sequence numbers start again"
                + (last.map { " below #\($0)" } ?? "") + "); continuing with every event of the new log"
        case .eventsNoLongerRetained(let address, let last):
            "workflowd at \(address) no longer retains the events after #\(last ?? 0): some were missed; "
                + "continuing with the oldest event it has"
        }
    }

    private static func resuming(_ last: UInt64?) -> String {
        last.map { ", resuming after event #\($0)" } ?? ""
    }
}
