import Dispatch
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowStore

@Suite("CommitQueue")
struct CommitQueueTests {
    private final class Owner: Sendable {}
    private static let owner = Owner()

    private static func events(_ sequences: ClosedRange<UInt64>) -> StoreWrite {
        .events(sequences.map { SQLiteEventStoreTests.event($0) })
    }

    private static func sequences(_ writes: [StoreWrite]) -> [UInt64] {
        writes.flatMap { write -> [UInt64] in
            if case .events(let events) = write { events.map(\.sequence) } else { [] }
        }
    }

    @Test("a commit ends after the enqueue call that reached the limit, never inside one call's writes; the first append wakes the writer, later ones do not")
    func cutsBetweenCalls() {
        var queue = CommitQueue(maxEventsPerCommit: 4)
        let wakes = [
            queue.append([Self.events(1...3)], for: Self.owner),
            queue.append([.forget(workflowID: "wf-a"), Self.events(4...6)], for: Self.owner),
            queue.append([Self.events(7...7)], for: Self.owner),
            queue.append([Self.events(8...9)], for: Self.owner),
            queue.append([Self.events(10...10)], for: Self.owner),
        ]
        #expect(wakes == [true, false, false, false, false])

        let first = queue.takeNextCommit()
        #expect(Self.sequences(first) == [1, 2, 3, 4, 5, 6])
        #expect(first.count == 3)
        #expect(Self.sequences(queue.takeNextCommit()) == [7, 8, 9, 10])
        let last = queue.takeNextCommit()
        #expect(last.isEmpty)
    }

    @Test("the queue holds its store from the first write until the writer goes idle; a flush waits only while there is work")
    func ownerAndFlushes() {
        var queue = CommitQueue(maxEventsPerCommit: 4)
        let early = DispatchSemaphore(value: 0)
        let waitedWhileIdle = queue.waitUntilIdle(early)
        #expect(!waitedWhileIdle)
        let firstWakes = queue.append([Self.events(1...2)], for: Self.owner)
        #expect(firstWakes)
        #expect(queue.isDraining)
        let waiting = DispatchSemaphore(value: 0)
        let waits = queue.waitUntilIdle(waiting)
        #expect(waits)
        _ = queue.takeNextCommit()
        #expect(queue.isDraining)
        let nothingLeft = queue.takeNextCommit()
        #expect(nothingLeft.isEmpty)
        let idle = queue.idle()
        #expect(idle.owner === Self.owner)
        #expect(idle.flushed.count == 1 && idle.flushed.first === waiting)
        #expect(!queue.isDraining)
        let wakesAgain = queue.append([Self.events(3...3)], for: Self.owner)
        #expect(wakesAgain)
    }

    @Test("without a cut a commit takes everything queued, and a later limit counts afresh")
    func everythingBelowTheLimit() {
        var queue = CommitQueue(maxEventsPerCommit: 4)
        _ = queue.append([Self.events(1...2)], for: Self.owner)
        _ = queue.append([Self.events(3...3)], for: Self.owner)
        #expect(Self.sequences(queue.takeNextCommit()) == [1, 2, 3])
        _ = queue.append([Self.events(4...4)], for: Self.owner)
        _ = queue.append([Self.events(5...8)], for: Self.owner)
        _ = queue.append([Self.events(9...9)], for: Self.owner)
        #expect(Self.sequences(queue.takeNextCommit()) == [4, 5, 6, 7, 8])
        #expect(Self.sequences(queue.takeNextCommit()) == [9])
    }

    @Test("an emptied commit's array is what the commit after next fills, without growing; one still holding writes, or smaller than the one kept, is not kept")
    func recyclesCommittedArrays() {
        var queue = CommitQueue(maxEventsPerCommit: 1_000)
        for sequence in UInt64(1)...100 {
            _ = queue.append([Self.events(sequence...sequence)], for: Self.owner)
        }
        var committed = queue.takeNextCommit()
        let capacity = committed.capacity
        #expect(capacity >= 100)
        // While the writer commits, the loops fill the array the take left in the queue.
        _ = queue.append([Self.events(101...101)], for: Self.owner)
        queue.recycle(committed)  // still holds its writes: not kept
        committed.removeAll(keepingCapacity: true)
        queue.recycle(committed)
        queue.recycle([StoreWrite]())  // smaller: the larger one stays

        let next = queue.takeNextCommit()
        #expect(Self.sequences(next) == [101])
        #expect(next.capacity < capacity)
        _ = queue.append([Self.events(102...102)], for: Self.owner)
        let afterNext = queue.takeNextCommit()
        #expect(Self.sequences(afterNext) == [102])
        #expect(afterNext.capacity == capacity)
    }

    @Test("a long backlog is taken commit by commit, in order, while more is queued, across the queue letting go of what it took")
    func longBacklogInOrder() {
        var queue = CommitQueue(maxEventsPerCommit: 3)
        var next: UInt64 = 1
        func enqueue(_ count: Int) {
            for _ in 0..<count {
                _ = queue.append([Self.events(next...next)], for: Self.owner)
                next += 1
            }
        }
        enqueue(5_000)
        var read: [UInt64] = []
        var commits = 0
        while true {
            let commit = queue.takeNextCommit()
            if commit.isEmpty { break }
            commits += 1
            read += Self.sequences(commit)
            // Every commit but the last, which takes what is left, ends at a cut.
            #expect(commit.count == 3 || read.count == 8_000)
            if commits % 500 == 0 && next <= 8_000 {
                enqueue(1_000)
            }
        }
        #expect(read == Array(1..<next))
        #expect(next == 8_001)
        #expect(commits == 2_667)
    }
}
