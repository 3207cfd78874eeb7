import CoreMetrics
import Synchronization

/// The event streams open now, so a shutdown can end each of them.
final class EventStreams: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var open: [UInt64: EventStreamControl] = [:]
        var isDraining = false
    }

    // Sendable: all mutable state is in the Mutex.
    private let state = Mutex(State())
    /// `workflow_http_event_streams`: server-sent event streams open now.
    private let gauge = Gauge(label: "workflow_http_event_streams")

    /// Registers a stream; it is told at once if the server is draining.
    func add(_ control: EventStreamControl) -> UInt64 {
        let (id, draining, open) = state.withLock { state in
            state.nextID += 1
            state.open[state.nextID] = control
            return (state.nextID, state.isDraining, state.open.count)
        }
        gauge.record(open)
        if draining { control.drain() }
        return id
    }

    func remove(_ id: UInt64) {
        let open = state.withLock { state in
            state.open.removeValue(forKey: id)
            return state.open.count
        }
        gauge.record(open)
    }

    /// How many streams are open.
    var count: Int {
        state.withLock { $0.open.count }
    }

    /// Tells every open stream, and every later one, to end once caught up.
    func drain() {
        let open = state.withLock { state in
            state.isDraining = true
            return Array(state.open.values)
        }
        for control in open {
            control.drain()
        }
    }
}
