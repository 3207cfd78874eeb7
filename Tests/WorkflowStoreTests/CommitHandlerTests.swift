import Foundation
import Synchronization
import Testing
@testable import WorkflowStore

@Suite("The store's commit handler")
struct CommitHandlerTests {
    @Test("reading the handler on every commit never makes calling it deeper: a million reads, then one call, on a thread with a small stack")
    func readsDoNotNest() async throws {
        let store = try SQLiteEventStore(configuration: .init(directory: SQLiteEventStoreTests.temporaryDirectory()), logger: SQLiteEventStoreTests.logger)
        let calls = Mutex<[UInt64]>([])
        store.setCommitHandler { sequence in calls.withLock { $0.append(sequence) } }
        for _ in 0..<1_000_000 {
            _ = store.currentCommitHandler()
        }
        // A bare closure in a Mutex was a thunk a million levels deep by now: this call
        // overflowed the stack (the writer thread's, where the store calls it).
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                store.currentCommitHandler()?.notify(7)
                continuation.resume()
            }
        }
        #expect(calls.withLock { $0 } == [7])
    }
}
