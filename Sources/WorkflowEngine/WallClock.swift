#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock and monotonic time in the units the API uses.
package enum WallClock {
    /// Milliseconds since the Unix epoch (UTC), for timestamps.
    package static func nowMs() -> Int64 {
        var now = timespec()
        // clock_gettime returns 0, or -1 with EINVAL (unknown clock) or EFAULT (bad pointer);
        // neither can happen with CLOCK_REALTIME and a local timespec, so the result is unused.
        _ = clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Whole milliseconds in `duration`, for measured durations; saturated at the bounds of
    /// `Int64` for absurd durations instead of trapping.
    static func milliseconds(_ duration: Duration) -> Int64 {
        whole(duration, unitsPerSecond: 1_000)
    }

    /// Whole nanoseconds in `duration`, saturated like ``milliseconds(_:)``.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        whole(duration, unitsPerSecond: 1_000_000_000)
    }

    /// Whole units of `duration`, `unitsPerSecond` of them to a second (a divisor of 10^18).
    private static func whole(_ duration: Duration, unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return whole.addingSaturated(attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
    }

    /// The time `duration` after `milliseconds`, saturated at the bounds of `Int64`: a deadline
    /// or retry time a configuration puts beyond the year 292 million stays there.
    static func milliseconds(_ duration: Duration, after milliseconds: Int64) -> Int64 {
        milliseconds.addingSaturated(self.milliseconds(duration))
    }
}

private extension Int64 {
    /// `self + other`, or the bound of `Int64` the sum would pass.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}
