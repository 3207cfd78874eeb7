internal import CMallocControl
import Dispatch
import RPCCore
import Synchronization

/// Gives the memory that peers made the server allocate back to the system once they leave.
///
/// Allocators keep freed memory for reuse (jemalloc, which `workflowd` links, gives it back
/// only over seconds of later activity; glibc's arenas keep it), so a crowd of peers that
/// connect, buffer partial messages and leave would otherwise leave the process's RSS at its
/// peak. Two measures, measured in `BENCHMARKS.md` ("Memory under hostile peers", "jemalloc"):
/// - blocks of ``largeBlockSize`` bytes and more (partial messages, large responses) give their
///   pages back the moment they are freed: jemalloc's `oversize_threshold`, which `workflowd`
///   sets as it links jemalloc (`CJemallocSettings`), or (in a program without jemalloc)
///   glibc's mmap threshold, which ``returnLargeBlocksAtOnce()`` sets;
/// - after ``closesPerTrim`` connections closed, a trim ``trimDelay`` later gives the free pages
///   of every arena back, off the event loops. Closes during that delay count towards the trim
///   that is already scheduled; a server whose connections rarely close trims rarely, and has
///   little to give back.
package final class MemoryReclaimer: Sendable {
    /// The size from which a freed block gives its pages back at once: the size a large partial
    /// request message jumps to (`GRPCMessageDeframer.largeBodySize`), so it never stays
    /// resident once freed.
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

    /// The allocator that serves the process.
    package enum Allocator: String, Sendable {
        /// jemalloc, linked into the program, as `workflowd` does.
        case jemalloc
        /// Another: glibc's malloc in a program without jemalloc (the test runners), or an
        /// allocator preloaded ahead of jemalloc. It gets glibc's controls, which it may ignore.
        case other
    }

    /// The allocator that serves the process.
    package static let allocator: Allocator = CMallocControlIsJemalloc() ? .jemalloc : .other

    /// Makes blocks of ``largeBlockSize`` bytes and more give their pages back the moment they
    /// are freed, where that takes a call. Under jemalloc: only reads its `oversize_threshold`,
    /// set as the program starts. Otherwise, for glibc: maps them on their own and stops glibc
    /// from raising that threshold as it otherwise does each time such a block is freed; fixing
    /// the threshold also fixes when free() shrinks the heap (by default at 128 KiB free, which
    /// made the next allocations fault their pages in again: a WatchLogs replay spent 7 % more
    /// CPU in the kernel), so that is set to ``retainedFreeMemory``. Process-wide: call once at
    /// start, before serving.
    ///
    /// - Returns: jemalloc's size from which freed blocks go back at once, for the start-up log;
    ///   nil under another allocator, which cannot be asked (glibc's settings may or may not
    ///   reach it).
    package static func returnLargeBlocksAtOnce() -> Int? {
        switch allocator {
        case .jemalloc:
            var threshold = 0
            return CMallocControlJemallocOversizeThreshold(&threshold) ? threshold : nil
        case .other:
            // Failures only cost memory: glibc's defaults keep more of the heap.
            _ = CMallocControlSetMmapThreshold(Int32(largeBlockSize))
            _ = CMallocControlSetTrimThreshold(Int32(retainedFreeMemory))
            return nil
        }
    }

    /// Whether freed blocks of ``largeBlockSize`` bytes and more go back at once with jemalloc's
    /// `oversize_threshold` at `threshold` (0 turns that arena off).
    package static func returnsLargeBlocks(threshold: Int?) -> Bool {
        guard let threshold else { return false }
        return threshold > 0 && threshold <= largeBlockSize
    }

    /// Gives the free pages of every arena back to the system on the calling thread.
    /// - Returns: Whether the allocator did (glibc: whether any pages were free to give).
    package static func giveFreeMemoryBackNow() -> Bool {
        CMallocControlTrim()
    }

    /// Gives the free pages of every arena back to the system now, off the caller's thread:
    /// after a burst of memory was freed outside any connection (an engine that restored a
    /// store decoded every workflow's tree, then kept only summaries of the old ones).
    package static func giveFreeMemoryBack() {
        DispatchQueue.global(qos: .utility).async {
            // The result (whether pages went back) changes nothing here.
            _ = giveFreeMemoryBackNow()
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
            _ = Self.giveFreeMemoryBackNow()
        }
    }
}
