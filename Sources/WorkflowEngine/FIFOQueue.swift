/// A first-in first-out queue with amortized O(1) push and pop.
struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    /// The number of queued elements.
    var count: Int { storage.count - head }

    /// The front element, if any, left in place.
    var first: Element? {
        head < storage.count ? storage[head] : nil
    }

    /// Adds `element` at the back.
    mutating func push(_ element: Element) {
        storage.append(element)
    }

    /// Removes and returns the front element, if any.
    mutating func pop() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head >= 1_024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
