#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats times and durations for people (text output) and for programs (JSON).
package enum TimeText {
    /// Now, in Unix epoch milliseconds (the unit of every time in the API).
    package static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// A duration such as `850ms`, `4.21s`, `2m03s` or `1h02m`.
    ///
    /// - Parameter milliseconds: The duration; negative values print as `0ms`.
    /// - Returns: The text.
    package static func duration(milliseconds: Int64) -> String {
        let ms = max(0, milliseconds)
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 {
            let hundredths = (ms + 5) / 10
            return "\(hundredths / 100).\(twoDigits(hundredths % 100))s"
        }
        let seconds = ms / 1000
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h\(twoDigits(seconds / 60 % 60))m"
    }

    /// The local time of day with milliseconds, such as `14:03:07.250`.
    ///
    /// - Parameter epochMs: A time in Unix epoch milliseconds.
    /// - Returns: The text.
    package static func timeOfDay(epochMs: Int64) -> String {
        var parts = tm()
        var seconds = time_t(epochMs / 1000)
        localtime_r(&seconds, &parts)
        return "\(twoDigits(Int64(parts.tm_hour))):\(twoDigits(Int64(parts.tm_min))):\(twoDigits(Int64(parts.tm_sec))).\(threeDigits(epochMs % 1000))"
    }

    /// The local date and time to the second, such as `2025-01-31 14:03:07`.
    ///
    /// - Parameter epochMs: A time in Unix epoch milliseconds.
    /// - Returns: The text.
    package static func localDateTime(epochMs: Int64) -> String {
        var parts = tm()
        var seconds = time_t(epochMs / 1000)
        localtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(twoDigits(Int64(parts.tm_mon + 1)))-\(twoDigits(Int64(parts.tm_mday))) "
            + "\(twoDigits(Int64(parts.tm_hour))):\(twoDigits(Int64(parts.tm_min))):\(twoDigits(Int64(parts.tm_sec)))"
    }

    /// An RFC 3339 UTC time with milliseconds, such as `2025-01-31T13:03:07.250Z`.
    ///
    /// - Parameter epochMs: A time in Unix epoch milliseconds.
    /// - Returns: The text.
    package static func rfc3339UTC(epochMs: Int64) -> String {
        var parts = tm()
        var seconds = time_t(epochMs / 1000)
        gmtime_r(&seconds, &parts)
        let year = String(parts.tm_year + 1900)
        return "\(year)-\(twoDigits(Int64(parts.tm_mon + 1)))-\(twoDigits(Int64(parts.tm_mday)))T"
            + "\(twoDigits(Int64(parts.tm_hour))):\(twoDigits(Int64(parts.tm_min))):\(twoDigits(Int64(parts.tm_sec))).\(threeDigits(epochMs % 1000))Z"
    }

    private static func twoDigits(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func threeDigits(_ value: Int64) -> String {
        value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}
