extension Array {
    /// The array cut into consecutive slices of at most `size` elements, each with the index
    /// of its first element.
    func batches(of size: Int) -> [(start: Int, elements: ArraySlice<Element>)] {
        stride(from: 0, to: count, by: Swift.max(1, size)).map { start in
            (start, self[start..<Swift.min(start + size, count)])
        }
    }
}
