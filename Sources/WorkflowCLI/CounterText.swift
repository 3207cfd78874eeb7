/// Counters such as `itemsProcessed=9 itemsFailed=1`, in name order.
package enum CounterText {
    /// The counters as `name=value` words separated by spaces; empty when there are none.
    ///
    /// - Parameter counters: The counters.
    /// - Returns: The text.
    package static func list(_ counters: [String: Int64]) -> String {
        counters.keys.sorted().map { "\($0)=\(counters[$0]!)" }.joined(separator: " ")
    }
}
