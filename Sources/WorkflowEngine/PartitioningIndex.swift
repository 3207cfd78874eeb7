extension RandomAccessCollection {
    /// The index of the first element for which `isPast` holds, in a collection where it holds
    /// for a suffix (`endIndex` when it holds for none): a binary search.
    func partitioningIndex(where isPast: (Element) -> Bool) -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if isPast(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
