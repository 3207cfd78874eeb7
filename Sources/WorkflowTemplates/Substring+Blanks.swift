extension Substring {
    /// The substring without leading and trailing spaces, tabs and carriage returns.
    func trimmingBlanks() -> Substring {
        let blanks: Set<Character> = [" ", "\t", "\r"]
        var result = self
        while let first = result.first, blanks.contains(first) { result = result.dropFirst() }
        while let last = result.last, blanks.contains(last) { result = result.dropLast() }
        return result
    }
}
