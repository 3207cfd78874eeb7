import Testing
import WorkflowEngine

@Suite("FIFOQueue")
struct FIFOQueueTests {
    private final class Item: Sendable {}

    @Test("elements come out in order, and a popped one is let go of once the queue empties and when a steady flow has popped half")
    func orderAndRelease() {
        var queue = FIFOQueue<Item>()
        weak var firstPopped: Item?
        do {
            let item = Item()
            firstPopped = item
            queue.push(item)
        }
        queue.push(Item())
        #expect(queue.pop() != nil)
        #expect(firstPopped != nil, "still in storage while the queue holds another")
        #expect(queue.pop() != nil)
        #expect(queue.count == 0 && queue.pop() == nil)
        #expect(firstPopped == nil, "an emptied queue keeps nothing it handed out")

        weak var early: Item?
        var order: [Int] = []
        var values: [ObjectIdentifier: Int] = [:]
        for index in 0..<3_000 {
            let item = Item()
            if index == 0 { early = item }
            values[ObjectIdentifier(item)] = index
            queue.push(item)
            if index >= 1 {
                let popped = queue.pop()!
                order.append(values[ObjectIdentifier(popped)]!)
            }
        }
        #expect(order == Array(0..<2_999))
        #expect(queue.count == 1)
        #expect(early == nil, "a queue that never empties drops what it handed out now and then")
    }

    @Test("popping up to a count takes the front ones in order, all of them when fewer are queued, across a queue that lets go of what it popped")
    func popsInBatches() {
        var queue = FIFOQueue<Int>()
        for value in 0..<5 {
            queue.push(value)
        }
        #expect(queue.pop(upTo: 2) == [0, 1])
        #expect(queue.pop(upTo: 10) == [2, 3, 4])
        #expect(queue.isEmpty && queue.pop(upTo: 3).isEmpty)

        var popped: [Int] = []
        var next = 0
        for _ in 0..<40 {
            for value in next..<(next + 300) {
                queue.push(value)
            }
            next += 300
            popped += queue.pop(upTo: 250)
        }
        #expect(queue.count == 40 * 50)
        popped += queue.popAll()
        #expect(popped == Array(0..<next))
        #expect(queue.isEmpty && queue.popAll().isEmpty)
    }
}
