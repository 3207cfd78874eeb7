#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The bytes that all connections of a server together may buffer: request bytes held for
/// partial or not yet handled messages, and response bytes produced but not yet sent.
///
/// Each connection charges its streams' buffers here as they grow and shrink. A stream whose
/// incoming DATA does not fit ends with RESOURCE_EXHAUSTED, so a crowd of peers that each send
/// part of a large message cannot make the server hold more than the budget (plus at most one
/// message's growth in flight).
package final class BufferBudget: Sendable {
    /// The most bytes buffered at once.
    package let limit: Int
    private let used = Atomic<Int>(0)
    private let hasRefused = Atomic<Bool>(false)

    /// A budget of `limit` bytes.
    package init(limit: Int) {
        precondition(limit > 0, "a buffer budget must be positive")
        self.limit = limit
    }

    /// The bytes charged now.
    package var bytesInUse: Int { used.load(ordering: .relaxed) }

    /// Charges `count` more bytes if they fit.
    /// - Returns: false, charging nothing, when they would exceed the limit.
    func reserve(_ count: Int) -> Bool {
        let total = used.wrappingAdd(count, ordering: .relaxed).newValue
        guard total > limit else { return true }
        used.wrappingSubtract(count, ordering: .relaxed)
        return false
    }

    /// Whether this is the first time anything was refused (so it is logged as a warning once,
    /// not once per stream of a flood).
    func isFirstRefusal() -> Bool {
        !hasRefused.exchange(true, ordering: .relaxed)
    }

    /// Charges (positive) or returns (negative) `delta` bytes unconditionally: growth already
    /// allocated, and bytes given back.
    func adjust(by delta: Int) {
        guard delta != 0 else { return }
        used.wrappingAdd(delta, ordering: .relaxed)
    }

    /// This machine's physical memory in bytes (0 if unknown).
    package static var physicalMemory: UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 0 }
        return UInt64(pages) * UInt64(pageSize)
    }

    /// A default for a machine with `physicalMemory` bytes: a sixteenth of it, at least
    /// 64 MiB and at most 2 GiB.
    package static func defaultLimit(physicalMemory: UInt64) -> Int {
        let sixteenth = Int(clamping: physicalMemory / 16)
        return min(max(sixteenth, 64 << 20), 2 << 30)
    }
}
