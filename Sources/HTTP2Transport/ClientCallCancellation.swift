import Synchronization

/// Set by whoever gives up on a client call (its task was cancelled, its stream dropped), read
/// on the event loop when the call starts, so that a cancellation that overtakes the start is
/// not lost.
final class ClientCallCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    init() {}

    /// Marks the call cancelled.
    func cancel() {
        flag.store(true, ordering: .releasing)
    }

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool {
        flag.load(ordering: .acquiring)
    }
}
