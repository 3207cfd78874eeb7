/// One line of terminal output made of pieces that may each carry a ``TextStyle``.
///
/// Width is measured on the visible text only, so a line can be cut to the terminal's width
/// before colour escapes are added: a line that wraps would break the live view's redraw.
///
/// ```swift
/// var line = StyledLine()
/// line.append("✓", .green)
/// line.append(" Fetch")
/// line.rendered(width: 80, colour: true)   // "\u{1B}[32m✓\u{1B}[0m Fetch"
/// ```
package struct StyledLine: Hashable, Sendable {
    /// A piece of text and its style (`nil`: the terminal's default).
    package struct Span: Hashable, Sendable {
        /// The text; it must not contain control characters.
        package var text: String
        /// The style, or `nil` for none.
        package var style: TextStyle?
    }

    /// The pieces, left to right.
    package private(set) var spans: [Span] = []

    /// Creates an empty line.
    package init() {}

    /// Creates a line of one unstyled piece.
    ///
    /// - Parameter text: The text.
    package init(_ text: String) {
        append(text)
    }

    /// Adds a piece at the end.
    ///
    /// - Parameters:
    ///   - text: The text; control characters become spaces.
    ///   - style: Its style, or `nil` for none.
    package mutating func append(_ text: String, _ style: TextStyle? = nil) {
        guard !text.isEmpty else { return }
        spans.append(Span(text: TerminalText.oneLine(text), style: style))
    }

    /// The visible text, without styles.
    package var plainText: String {
        spans.map(\.text).joined()
    }

    /// The line as printed: cut to `width` visible characters (the last one `…` when cut),
    /// with colour escapes only when `colour` is true.
    ///
    /// - Parameters:
    ///   - width: The most visible characters, or `nil` for no limit.
    ///   - colour: Whether to emit ANSI colour escapes.
    /// - Returns: The text to print, without a line break.
    package func rendered(width: Int?, colour: Bool) -> String {
        var remaining = width ?? Int.max
        let total = spans.reduce(0) { $0 + $1.text.count }
        let isCut = total > remaining
        if isCut { remaining -= 1 }
        var output = ""
        for span in spans where remaining > 0 {
            let text = span.text.count > remaining ? String(span.text.prefix(remaining)) : span.text
            remaining -= text.count
            if colour, let style = span.style {
                output += style.apply(to: text)
            } else {
                output += text
            }
        }
        if isCut && width ?? 0 > 0 { output += "…" }
        return output
    }
}
