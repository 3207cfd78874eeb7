/// When the store's next WAL checkpoint round comes: after the configured interval, or a
/// quarter of it while commits fill the WAL at more than half its limit per interval.
///
/// A WAL that fills faster outgrows its file between rounds, and every write past the file's
/// end lands on blocks the kernel zeroes first (8 % of the writer thread under
/// workflow-bench's 300,000 steps). The rate, not the bytes of one round, decides: a quarter
/// round holds a quarter of the bytes, and judging by bytes alone would switch back and forth.
///
/// ```swift
/// var pace = CheckpointPace(interval: .milliseconds(500), walSizeLimit: 32 << 20)
/// let delay = pace.next(walBytes: 24 << 20, sawCommits: true)  // 125 ms
/// ```
struct CheckpointPace {
    /// The usual time between rounds (at least 1 ms).
    let interval: Duration
    /// The WAL size the store keeps to (`journal_size_limit`).
    let walSizeLimit: Int
    /// The delay the last round came after.
    private(set) var lastDelay: Duration

    init(interval: Duration, walSizeLimit: Int) {
        self.interval = max(.milliseconds(1), interval)
        self.walSizeLimit = max(0, walSizeLimit)
        lastDelay = self.interval
    }

    /// The delay before the next round, after one that found `walBytes` in the WAL since it
    /// last started over; `sawCommits` is false when nothing was committed since the round
    /// before (an idle WAL keeps its frames until the next commit starts it over, so they say
    /// nothing about the rate).
    mutating func next(walBytes: Int, sawCommits: Bool) -> Duration {
        let bytesPerInterval = Double(walBytes) * (interval / lastDelay)
        lastDelay = sawCommits && bytesPerInterval > Double(walSizeLimit) / 2 ? interval / 4 : interval
        return lastDelay
    }
}
