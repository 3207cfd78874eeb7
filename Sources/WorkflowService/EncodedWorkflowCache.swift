import Synchronization

/// The GetWorkflow encodings of recently read workflows, reused while a workflow does not
/// change (same ``WorkflowEngine/workflowWithRevision(id:)``).
///
/// Many clients reading the same finished workflow, or a console polling one that has not
/// moved since, then cost no encoding. The cache is direct-mapped: a fixed number of slots,
/// each holding the last workflow whose id hashes to it, and encodings over
/// ``largestCachedEncoding`` are never kept, so its memory stays bounded (16 MiB at most) and
/// a lookup is one hash.
final class EncodedWorkflowCache: Sendable {
    /// The encoding of workflow `id` at `revision` (id `""`: an empty slot).
    private struct Slot {
        var id = ""
        var revision: UInt64 = 0
        var bytes: [UInt8] = []
    }

    /// Larger encodings (workflows with thousands of steps) are made for each read instead.
    static let largestCachedEncoding = 16 * 1024

    private let slots: Mutex<[Slot]>

    /// - Parameter capacity: How many slots (rounded up to a power of two).
    init(capacity: Int = 1_024) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = Mutex(Array(repeating: Slot(), count: size))
    }

    /// The cached encoding of workflow `id` at `revision`, if there is one.
    func cachedBytes(of id: String, revision: UInt64) -> [UInt8]? {
        slots.withLock { slots -> [UInt8]? in
            let slot = slots[index(of: id, count: slots.count)]
            return slot.id == id && slot.revision == revision ? slot.bytes : nil
        }
    }

    /// The encoding of workflow `id` at `revision`: the cached one, or `encode()`'s, which is
    /// then cached unless it is larger than ``largestCachedEncoding``.
    func bytes(of id: String, revision: UInt64, encode: () -> [UInt8]) -> [UInt8] {
        if let cached = cachedBytes(of: id, revision: revision) { return cached }
        let bytes = encode()
        guard bytes.count <= Self.largestCachedEncoding else { return bytes }
        slots.withLock { slots in
            slots[index(of: id, count: slots.count)] = Slot(id: id, revision: revision, bytes: bytes)
        }
        return bytes
    }

    private func index(of id: String, count: Int) -> Int {
        id.hashValue & (count - 1)
    }
}
