extension Duration {
    /// The duration as a templates configuration writes it, in the largest unit that divides
    /// it (`1h`, `30m`, `30s`, `250ms`); below a millisecond is dropped.
    ///
    /// ```swift
    /// Duration.seconds(90).configurationText  // "90s"
    /// Duration.seconds(1800).configurationText  // "30m"
    /// ```
    var configurationText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        for (unit, scale) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1_000)] where milliseconds != 0 && milliseconds % scale == 0 {
            return "\(milliseconds / scale)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
