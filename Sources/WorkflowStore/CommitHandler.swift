/// The function a store calls after each commit, kept in a struct so it can live in a `Mutex`.
///
/// A bare closure in a `Mutex` (`Mutex<(@Sendable (UInt64) -> Void)?>`) is reabstracted on
/// every `withLock { $0 }` and written back wrapped in two more thunks: each read made every
/// later call one step deeper, so after a few hundred thousand commits a call took milliseconds,
/// and then overflowed the writer thread's stack (measured). A struct field keeps its
/// representation.
struct CommitHandler: Sendable {
    /// Told the newest committed sequence.
    let notify: @Sendable (UInt64) -> Void
}
