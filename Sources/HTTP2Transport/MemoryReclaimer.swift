internal import CMallocControl
import Dispatch
import RPCCore
import Synchronization

/// Gives the memory that peers made the server allocate back to the system once they leave.
///
/// Allocators keep freed memory for reuse (jemalloc, which `workflowd` links, gives it back
/// only over seconds of later activity; glibc's arenas keep it), so a crowd of peers that
/// connect, buffer partial messages and leave would otherwise leave the process's RSS at its
/// peak. Measured in `BENCHMARKS.md` ("Memory under hostile peers"):
/// - after ``closesPerTrim`` connections closed, a trim ``trimDelay`` later gives the free pages
///   of every arena back, off the event loops. Closes during that delay count towards the trim
///   that is already scheduled; a server whose connections rarely close trims rarely, and has
///   little to give back;
/// - under glibc, ``keepLargeBlocksOutOfTheHeap()``: blocks of ``largeBlockSize`` bytes and
///   more (partial messages, large responses) get a mapping of their own, unmapped the moment
///   they are freed (jemalloc gives every large block its own extent anyway).
package final class MemoryReclaimer: Sendable {
    /// The size from which a block is mapped on its own: the size a large partial request
    /// message jumps to (`GRPCMessageDeframer.largeBodySize`), so it never lives in the heap.
    package static let largeBlockSize = GRPCMessageDeframer.largeBodySize
    /// How many closed connections make a trim worthwhile.
    let closesPerTrim: Int
    /// How long after the closes the trim runs, so a burst of them is trimmed once.
    let trimDelay: DispatchTimeInterval
    private let closesSinceTrim = Atomic<Int>(0)
    private let isTrimScheduled = Atomic<Bool>(false)

    init(closesPerTrim: Int = 32, trimDelay: DispatchTimeInterval = .seconds(1)) {
        self.closesPerTrim = closesPerTrim
        self.trimDelay = trimDelay
    }

    /// How much free memory glibc's heap keeps at its top for reuse; the rest of what is free
    /// goes back with the trims after connections close.
    package static let retainedFreeMemory = 4 << 20

    /// The allocator that serves the process: `jemalloc` when the program links it, as
    /// `workflowd` does, else `glibc`.
    package static var allocator: String {
        CMallocControlIsJemalloc() != 0 ? "jemalloc" : "glibc"
    }

    /// The size from which a freed block's pages go back to the system at once: jemalloc's
    /// `oversize_threshold` (``largeBlockSize``, which `workflowd` sets, unless an operator's
    /// `MALLOC_CONF` changed it), or under glibc the threshold
    /// ``keepLargeBlocksOutOfTheHeap()`` sets.
    package static var largeBlocksReturnedFrom: Int {
        CMallocControlIsJemalloc() != 0 ? Int(CMallocControlJemallocOversizeThreshold()) : largeBlockSize
    }

    /// Under glibc, makes it map blocks of ``largeBlockSize`` bytes and more on their own, and
    /// stop raising that threshold as it otherwise does each time such a block is freed. Fixing
    /// the threshold also fixes when free() shrinks the heap (by default at 128 KiB free, which
    /// made the next allocations fault their pages in again: a WatchLogs replay spent 7 % more
    /// CPU in the kernel), so that is set to ``retainedFreeMemory``. Does nothing under
    /// jemalloc. Process-wide: call once at start, before serving.
    package static func keepLargeBlocksOutOfTheHeap() {
        guard CMallocControlIsJemalloc() == 0 else { return }
        // Nonzero on success; a failure leaves glibc's defaults, which only cost memory.
        _ = CMallocControlSetMmapThreshold(Int32(largeBlockSize))
        _ = CMallocControlSetTrimThreshold(Int32(retainedFreeMemory))
    }

    /// Gives the free pages of every arena back to the system now, off the caller's thread:
    /// after a burst of memory was freed outside any connection (an engine that restored a
    /// store decoded every workflow's tree, then kept only summaries of the old ones).
    package static func giveFreeMemoryBack() {
        DispatchQueue.global(qos: .utility).async {
            // The result (whether pages went back) changes nothing here.
            _ = CMallocControlTrim()
        }
    }

    /// A connection closed; schedules a trim when enough did.
    func connectionClosed() {
        let closes = closesSinceTrim.wrappingAdd(1, ordering: .relaxed).newValue
        guard closes >= closesPerTrim,
              isTrimScheduled.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + trimDelay) { [self] in
            closesSinceTrim.store(0, ordering: .relaxed)
            isTrimScheduled.store(false, ordering: .relaxed)
            _ = CMallocControlTrim()
        }
    }
}
