import MessageRuntime
import Synchronization
import WorkflowMessages

/// The JSON of the newest log events, shared by every event stream: with many browsers
/// following the same events, each is converted from protobuf once, not once per stream.
final class EventJSONCache: Sendable {
    private struct State {
        var bySequence: [UInt64: [UInt8]] = [:]
        /// Sequences in insertion order, oldest first from `head`, for eviction.
        var order: [UInt64] = []
        var head = 0
    }

    private let capacity: Int
    // Sendable: all mutable state is in the Mutex.
    private let state = Mutex(State())

    /// Keeps the JSON of the newest `capacity` events.
    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// The JSON of a serialized `LogEvent`, and its sequence.
    func json(ofSerialized bytes: [UInt8]) throws -> (sequence: UInt64, json: [UInt8]) {
        let sequence = Self.cacheKey(of: bytes)
        if sequence > 0, let cached = state.withLock({ $0.bySequence[sequence] }) {
            return (sequence, cached)
        }
        let event = try WorkflowV1.LogEvent(serializedBytes: bytes)
        let json = event.protoJSONBytes()
        if event.sequence > 0, event.kind != .gap {
            state.withLock { state in
                guard state.bySequence.updateValue(json, forKey: event.sequence) == nil else { return }
                state.order.append(event.sequence)
                if state.order.count - state.head > capacity {
                    state.bySequence[state.order[state.head]] = nil
                    state.head += 1
                    if state.head >= capacity {
                        state.order.removeFirst(state.head)
                        state.head = 0
                    }
                }
            }
        }
        return (event.sequence, json)
    }

    /// The sequence (field 1) of a serialized event, read from the wire without decoding the
    /// rest; 0 when absent or when the event is a gap marker (kind, field 3, is GAP), whose
    /// sequence is that of an event that is gone.
    private static func cacheKey(of bytes: [UInt8]) -> UInt64 {
        var reader = ProtoWireReader(bytes[...])
        var sequence: UInt64 = 0
        while let field = try? reader.next() {
            switch (field.field, field.value) {
            case (1, .varint(let value)):
                sequence = value
            case (3, .varint(let kind)):
                return kind == UInt64(WorkflowV1.LogEventKind.gap.rawValue) ? 0 : sequence
            default:
                continue
            }
        }
        return sequence
    }
}
