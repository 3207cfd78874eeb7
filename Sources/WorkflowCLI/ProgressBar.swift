/// A text progress bar such as `[██████░░░░]  60%`.
package enum ProgressBar {
    /// The bar for `fraction`, `width` cells between brackets.
    ///
    /// - Parameters:
    ///   - fraction: Progress from 0 to 1; values outside are clamped, NaN counts as 0.
    ///   - width: How many cells the bar has.
    /// - Returns: The bar, without the percentage.
    package static func bar(_ fraction: Double, width: Int) -> String {
        let cells = max(0, width)
        let filled = min(cells, Int((clamped(fraction) * Double(cells)).rounded(.down)))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: cells - filled) + "]"
    }

    /// The percentage of `fraction`, right-aligned in four characters, such as ` 60%`.
    ///
    /// Rounded down, so 100% means done.
    ///
    /// - Parameter fraction: Progress from 0 to 1.
    /// - Returns: The percentage.
    package static func percent(_ fraction: Double) -> String {
        TerminalText.leftPadded("\(Int((clamped(fraction) * 100).rounded(.down)))%", toWidth: 4)
    }

    private static func clamped(_ fraction: Double) -> Double {
        fraction.isNaN ? 0 : min(1, max(0, fraction))
    }
}
