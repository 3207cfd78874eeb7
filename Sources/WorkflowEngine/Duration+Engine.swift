extension Duration {
    /// The longest wait the engine schedules: a century. Longer durations (possible through the
    /// Swift API) are cut to it rather than overflow a clock or a sleep.
    static let longestWait = Duration.seconds(3_155_760_000)

    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The duration, from zero up to ``longestWait``.
    var clampedToLongestWait: Duration {
        min(max(self, .zero), Self.longestWait)
    }

    /// The duration in whole milliseconds, saturating at `Int64`'s bounds: for the wire.
    package var wholeMilliseconds: Int64 {
        WallClock.milliseconds(self)
    }

    /// The duration in whole nanoseconds, saturating at `Int64`'s bounds (292 years): for
    /// timers and metrics.
    package var wholeNanoseconds: Int64 {
        WallClock.nanoseconds(self)
    }
}
