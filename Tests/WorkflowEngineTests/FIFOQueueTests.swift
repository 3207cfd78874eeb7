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
}
