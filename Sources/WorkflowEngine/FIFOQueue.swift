/// A first-in first-out queue with amortized O(1) push and pop; popped elements are let go of
/// when the queue empties, and by half when a steady flow never empties it.
package struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    /// Creates an empty queue.
    package init() {}

    /// The number of queued elements.
    package var count: Int { storage.count - head }

    /// Whether nothing is queued.
    package var isEmpty: Bool { head == storage.count }

    /// The front element, if any, left in place.
    package var first: Element? {
        head < storage.count ? storage[head] : nil
    }

    /// Adds `element` at the back.
    package mutating func push(_ element: Element) {
        storage.append(element)
    }

    /// Removes and returns the front element, if any.
    package mutating func pop() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        letGoOfPopped()
        return element
    }

    /// Removes and returns the front `maxCount` elements (all of them when fewer are queued),
    /// in order.
    package mutating func pop(upTo maxCount: Int) -> [Element] {
        guard head > 0 || maxCount < storage.count else { return popAll() }
        let end = head + min(maxCount, count)
        let popped = Array(storage[head..<end])
        head = end
        letGoOfPopped()
        return popped
    }

    /// Removes and returns every element, in order: a queue that never popped hands over its
    /// storage, uncopied.
    package mutating func popAll() -> [Element] {
        guard head > 0 else {
            defer { storage = [] }
            return storage
        }
        let popped = Array(storage[head...])
        head = storage.count
        letGoOfPopped()
        return popped
    }

    /// Drops the popped elements once the queue is empty, or once they are half of it.
    private mutating func letGoOfPopped() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.count <= 1_024)
            head = 0
        } else if head >= 1_024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
