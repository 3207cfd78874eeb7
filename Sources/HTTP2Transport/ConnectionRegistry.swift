import NIOCore
import Synchronization

/// The open connections of a `GRPCServer`, so a shutdown can reach each one.
final class ConnectionRegistry: Sendable {
    private let state = Mutex<(open: [ObjectIdentifier: any Channel], isClosed: Bool)>(([:], false))

    /// Adds a new connection and removes it when it closes.
    /// - Returns: false (nothing added) once ``close()`` was called, or when `limit` connections
    ///   are already open: the caller closes the connection.
    func admit(_ channel: any Channel, limit: Int) -> Bool {
        let admitted = state.withLock { state in
            guard !state.isClosed, state.open.count < limit else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return true
    }

    /// Admits no more connections.
    /// - Returns: the connections open now.
    func close() -> [any Channel] {
        state.withLock { state in
            state.isClosed = true
            return Array(state.open.values)
        }
    }

    /// The connections open now.
    var open: [any Channel] {
        state.withLock { Array($0.open.values) }
    }
}
