#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock and monotonic time in the units the API uses.
enum WallClock {
    /// Milliseconds since the Unix epoch (UTC), for timestamps.
    static func nowMs() -> Int64 {
        var now = timespec()
        // clock_gettime returns 0, or -1 with EINVAL (unknown clock) or EFAULT (bad pointer);
        // neither can happen with CLOCK_REALTIME and a local timespec, so the result is unused.
        _ = clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Whole milliseconds in `duration`, for measured durations.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
