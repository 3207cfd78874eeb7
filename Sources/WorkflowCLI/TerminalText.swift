/// Helpers that keep text from the server safe to print: one line, no control characters.
///
/// Step messages, errors and summaries come from whoever started the workflow; printed raw,
/// an escape sequence in one of them could move the cursor or recolour the terminal, and a line
/// break would split one event over several lines of a CI log.
package enum TerminalText {
    /// `text` with every control character (C0, DEL, C1; line breaks and tabs included)
    /// replaced by a space.
    ///
    /// - Parameter text: Any text.
    /// - Returns: Text that prints as exactly one line.
    package static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(isControl(scalar) ? " " : scalar)
        }
        return String(result)
    }

    /// `text` cut to at most `width` characters, the last of them `…` when it was cut.
    ///
    /// Characters are counted as one column each, which holds for the Latin text, digits and
    /// symbols the tool prints; wide (East Asian) characters may overflow a narrow terminal.
    ///
    /// - Parameters:
    ///   - text: One line of text.
    ///   - width: The most characters to keep; 0 or less gives the empty string.
    /// - Returns: The text, shortened if needed.
    package static func truncated(_ text: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + "…"
    }

    /// `text` padded with spaces on the right to `width` characters (never cut).
    static func padded(_ text: String, toWidth width: Int) -> String {
        let missing = width - text.count
        return missing > 0 ? text + String(repeating: " ", count: missing) : text
    }

    /// `text` padded with spaces on the left to `width` characters (never cut).
    static func leftPadded(_ text: String, toWidth width: Int) -> String {
        let missing = width - text.count
        return missing > 0 ? String(repeating: " ", count: missing) + text : text
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
