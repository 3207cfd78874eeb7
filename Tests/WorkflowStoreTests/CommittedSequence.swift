import Synchronization

/// The newest sequence a store reported as committed, for the tests.
final class CommittedSequence: Sendable {
    private let sequence = Mutex<UInt64>(0)

    /// The newest reported sequence (0 before any).
    var value: UInt64 { sequence.withLock { $0 } }

    /// Records a report.
    func set(_ value: UInt64) {
        sequence.withLock { $0 = max($0, value) }
    }
}
