import RPCCore
import Synchronization
import WorkflowModel
import WorkflowTreePacking

/// The wire encoding of the newest events, shared by every WatchLogs stream of a server.
///
/// An event's encoding never changes (a sequence always names the same event), so when many
/// watchers follow the log live, each event is encoded once instead of once per watcher.
/// Only events near the head of the log are kept: a replay of old events encodes them straight
/// into its stream, and does not push the live ones out.
///
/// ```swift
/// let newest = log.lastSequence
/// log.visit(after: cursor, matching: filter, limit: 256) { event in
///     cache.append(event, newestSequence: newest, to: &output)
///     return !output.isFull
/// }
/// ```
final class EncodedEventCache: Sendable {
    /// A slot of the ring: the event with `sequence` encodes to `bytes` (sequence 0: empty).
    private struct Slot {
        var sequence: UInt64 = 0
        var bytes: [UInt8] = []
    }

    private let capacity: Int
    private let slots: Mutex<[Slot]>

    /// - Parameter capacity: How many of the newest events' encodings are kept.
    init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
        slots = Mutex(Array(repeating: Slot(), count: self.capacity))
    }

    /// Appends `event`'s encoding as one message to `output`, from the cache when an earlier
    /// stream encoded it, else encoding it (and keeping the bytes if the event is among the
    /// newest `capacity` up to `newestSequence`).
    func append(_ event: LogEvent, newestSequence: UInt64, to output: inout StreamOutput) {
        let sequence = event.sequence
        guard sequence > 0, sequence + UInt64(capacity) > newestSequence else {
            output.appendMessage { WorkflowTreePacking.append(event, to: &$0) }
            return
        }
        let index = Int(sequence % UInt64(capacity))
        let cached = slots.withLock { slots in
            slots[index].sequence == sequence ? slots[index].bytes : nil
        }
        if let cached {
            output.append(message: cached)
            return
        }
        let bytes = WorkflowTreePacking.bytes(of: event)
        slots.withLock { slots in
            slots[index] = Slot(sequence: sequence, bytes: bytes)
        }
        output.append(message: bytes)
    }
}
