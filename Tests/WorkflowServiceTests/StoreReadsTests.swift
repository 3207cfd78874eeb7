import Dispatch
import Foundation
import Synchronization
import Testing
@testable import WorkflowService

@Suite("StoreReads")
struct StoreReadsTests {
    @Test("every read runs, however many arrive at once, and never more than maxConcurrentReads at a time", .timeLimit(.minutes(1)))
    func boundedAndComplete() async {
        let reads = 500
        let counts = Mutex((running: 0, most: 0, done: 0))
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            for _ in 0..<reads {
                StoreReads.run {
                    counts.withLock { counts in
                        counts.running += 1
                        counts.most = max(counts.most, counts.running)
                    }
                    usleep(200)
                    let allDone = counts.withLock { counts -> Bool in
                        counts.running -= 1
                        counts.done += 1
                        return counts.done == reads
                    }
                    if allDone { finished.resume() }
                }
            }
        }
        let (_, most, done) = counts.withLock { $0 }
        #expect(done == reads)
        #expect(most >= 1 && most <= StoreReads.maxConcurrentReads)
    }
}
