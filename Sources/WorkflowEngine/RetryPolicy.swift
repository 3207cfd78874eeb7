/// How often a job runs again after a failed attempt, and how long it waits before each run.
///
/// An attempt that throws, times out or is interrupted by a stop of the server fails; the job
/// then runs again after a backoff while the policy has attempts left and the error is
/// retryable: not thrown as non-retryable (``JobFailure/isRetryable``) and its code not in
/// ``nonRetryableCodes``. Only when the last attempt fails does the workflow fail.
///
/// The wait before attempt `n + 1` is `initialBackoff × backoffMultiplier^(n − 1)`, at most
/// ``maxBackoff``, then spread by up to ± ``jitter`` of itself so that jobs that failed
/// together do not all retry at the same moment.
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(200), nonRetryableCodes: [.timeout])
/// policy.backoff(afterAttempt: 1, random: 0.5)  // 200 ms
/// policy.backoff(afterAttempt: 3, random: 0.5)  // 800 ms
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// How many attempts a job gets, the first included (at least 1).
    public var maxAttempts: Int
    /// The wait before the second attempt.
    public var initialBackoff: Duration
    /// How much longer each wait is than the one before (at least 1).
    public var backoffMultiplier: Double
    /// The longest wait.
    public var maxBackoff: Duration
    /// How much each wait is spread, as a fraction of it: 0 waits exactly, 0.2 waits ±20 %.
    public var jitter: Double
    /// Error codes (``JobFailure/code``) that are never retried, e.g. ``JobErrorCode/timeout``.
    public var nonRetryableCodes: Set<JobErrorCode>

    /// Creates a policy; out-of-range values are clamped (at least one attempt, a multiplier of
    /// at least 1, a jitter from 0 to 1, no negative waits).
    public init(
        maxAttempts: Int,
        initialBackoff: Duration = .seconds(1),
        backoffMultiplier: Double = 2,
        maxBackoff: Duration = .seconds(60),
        jitter: Double = 0.2,
        nonRetryableCodes: Set<JobErrorCode> = []
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = max(.zero, initialBackoff)
        self.backoffMultiplier = backoffMultiplier.isFinite ? max(1, backoffMultiplier) : 1
        self.maxBackoff = max(self.initialBackoff, maxBackoff)
        self.jitter = jitter.isFinite ? min(1, max(0, jitter)) : 0
        self.nonRetryableCodes = nonRetryableCodes
    }

    /// One attempt, no retry.
    public static let noRetries = RetryPolicy(maxAttempts: 1)

    /// The product templates' policy: 3 attempts, waiting 1 s then 2 s (±20 %).
    public static let standard = RetryPolicy(maxAttempts: 3)

    /// Whether a job that used `countedAttempts` attempts runs again after `failure`.
    public func retries(afterAttempts countedAttempts: Int, failure: JobFailureDescription) -> Bool {
        countedAttempts < maxAttempts && failure.isRetryable && !nonRetryableCodes.contains(failure.code)
    }

    /// The wait after the failed attempt `attempt` (1 for the first) of the policy's count.
    ///
    /// - Parameters:
    ///   - attempt: The failed attempt, counted from 1.
    ///   - random: A number from 0 to 1 choosing where in the jitter range the wait falls; 0.5
    ///     is the exact wait.
    public func backoff(afterAttempt attempt: Int, random: Double) -> Duration {
        let ceiling = maxBackoff.seconds
        var base = initialBackoff.seconds
        for _ in 1..<max(1, attempt) where base < ceiling {
            base *= backoffMultiplier
        }
        base = min(base, ceiling)
        let spread = base * jitter * (2 * min(1, max(0, random)) - 1)
        // Capped at a century: beyond it the nanoseconds would not fit an Int64.
        return .nanoseconds(Int64(min(max(0, base + spread), 3.15e9) * 1e9))
    }
}
