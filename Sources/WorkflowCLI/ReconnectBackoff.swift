/// How long a watch waits between reconnection attempts, and when it gives up.
///
/// Exponential backoff with jitter: the first retry is immediate, then 100 ms, 200 ms,
/// 400 ms, … up to ``maximumDelay``, each scaled by a random factor in
/// `1 ± jitter` so that many watchers of one restarted server do not reconnect in lock step.
/// The watch gives up once it has been without a connection for ``giveUpAfter``.
package struct ReconnectBackoff: Hashable, Sendable {
    /// The delay before the second attempt.
    package var initialDelay: Duration
    /// The longest delay between two attempts.
    package var maximumDelay: Duration
    /// How much each delay grows over the previous one.
    package var multiplier: Double
    /// The largest fraction by which a delay is randomly lengthened or shortened.
    package var jitter: Double
    /// How long to keep trying after the connection was lost; zero disables reconnecting.
    package var giveUpAfter: Duration

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - initialDelay: The delay before the second attempt (100 ms).
    ///   - maximumDelay: The longest delay (5 s).
    ///   - multiplier: The growth per attempt (2).
    ///   - jitter: The random fraction (0.2).
    ///   - giveUpAfter: How long to keep trying (60 s).
    package init(
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(5),
        multiplier: Double = 2,
        jitter: Double = 0.2,
        giveUpAfter: Duration = .seconds(60)
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.giveUpAfter = giveUpAfter
    }

    /// The wait before the next attempt after `failedAttempts` attempts failed in a row.
    ///
    /// - Parameters:
    ///   - failedAttempts: Attempts that failed since the connection was lost (0: none yet).
    ///   - random: A number in `0..<1`, picking the jitter.
    /// - Returns: Zero for the first attempt, then the growing, jittered delay.
    package func delay(afterFailedAttempts failedAttempts: Int, random: Double) -> Duration {
        guard failedAttempts > 0 else { return .zero }
        let maximum = Self.seconds(maximumDelay)
        var base = Self.seconds(initialDelay)
        for _ in 1..<failedAttempts where base < maximum {
            base *= multiplier
        }
        let capped = min(base, maximum)
        let factor = 1 + jitter * (2 * random - 1)
        return .milliseconds(Int64((capped * factor * 1000).rounded()))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
