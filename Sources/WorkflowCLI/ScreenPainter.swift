/// Turns successive frames of the live view into what to write to the terminal: the first
/// frame as plain lines, every later one drawn over the previous frame in place.
///
/// Redrawing moves the cursor up over the previous frame (`CR`, `ESC[nA`), rewrites each line
/// after clearing it (`ESC[2K`) and clears whatever the previous, longer frame left below
/// (`ESC[J`). That only works if no frame line wraps and nothing else writes to the terminal
/// meanwhile: ``LiveViewRenderer`` cuts lines to the width, and the live view shows connection
/// notices inside the frame rather than on standard error.
///
/// ```swift
/// var painter = ScreenPainter(colour: true, width: 80)
/// write(painter.paint(renderer.render(state, nowMs: now)))
/// ```
package struct ScreenPainter: Sendable {
    /// Whether lines carry colour escapes.
    package var colour: Bool
    /// The terminal's width: no line is longer.
    package var width: Int
    private var previousLineCount = 0
    private var previousLines: [String] = []

    /// Creates a painter for an empty screen area below the cursor.
    ///
    /// - Parameters:
    ///   - colour: Whether to colour the lines.
    ///   - width: The terminal's width in columns.
    package init(colour: Bool, width: Int) {
        self.colour = colour
        self.width = width
    }

    /// The bytes that show `lines` in place of the previous frame.
    ///
    /// - Parameters:
    ///   - lines: The new frame.
    ///   - isFinal: Whether no frame follows: its lines are not cut to the width (nothing
    ///     will be redrawn over them, so a wrapped line does no harm, and the retry command
    ///     stays whole).
    /// - Returns: Text with cursor controls; empty when the frame did not change.
    package mutating func paint(_ lines: [StyledLine], isFinal: Bool = false) -> String {
        // One column spare: a line that fills the last column wraps on some terminals.
        let rendered = lines.map { $0.rendered(width: isFinal ? nil : width - 1, colour: colour) }
        guard rendered != previousLines || previousLineCount == 0 else { return "" }
        var output = ""
        if previousLineCount > 0 {
            output += "\r\u{1B}[\(previousLineCount)A"
        }
        for line in rendered {
            output += "\u{1B}[2K" + line + "\n"
        }
        output += "\u{1B}[J"
        previousLineCount = rendered.count
        previousLines = rendered
        return output
    }
}
