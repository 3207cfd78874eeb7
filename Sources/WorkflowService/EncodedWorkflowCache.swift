import Synchronization

/// The GetWorkflow encodings of recently read workflows, reused while a workflow does not
/// change (same ``WorkflowEngine/revision(ofWorkflow:)``).
///
/// A console polling a workflow, or many clients reading the same finished one, then costs
/// no encoding at all. The cache is direct-mapped: a fixed number of slots, each holding the
/// last workflow whose id hashes to it, so its memory is bounded and a lookup is one hash.
final class EncodedWorkflowCache: Sendable {
    /// The encoding of workflow `id` at `revision` (id `""`: an empty slot).
    private struct Slot {
        var id = ""
        var revision: UInt64 = 0
        var bytes: [UInt8] = []
    }

    private let slots: Mutex<[Slot]>

    /// - Parameter capacity: How many slots (rounded up to a power of two).
    init(capacity: Int = 1_024) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = Mutex(Array(repeating: Slot(), count: size))
    }

    /// The encoding of workflow `id` at `revision`: the cached one, or `encode()`'s, which is
    /// then cached.
    func bytes(of id: String, revision: UInt64, encode: () -> [UInt8]) -> [UInt8] {
        let cached = slots.withLock { slots -> [UInt8]? in
            let slot = slots[index(of: id, count: slots.count)]
            return slot.id == id && slot.revision == revision ? slot.bytes : nil
        }
        if let cached { return cached }
        let bytes = encode()
        slots.withLock { slots in
            slots[index(of: id, count: slots.count)] = Slot(id: id, revision: revision, bytes: bytes)
        }
        return bytes
    }

    private func index(of id: String, count: Int) -> Int {
        id.hashValue & (count - 1)
    }
}
