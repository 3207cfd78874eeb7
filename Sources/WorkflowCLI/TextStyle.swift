/// A colour or emphasis for a piece of terminal output, as an ANSI SGR parameter.
///
/// Only applied when colour is on (a terminal, and `NO_COLOR` unset); see ``StyledLine``.
package struct TextStyle: Hashable, Sendable {
    /// The SGR parameters, such as `"1"` (bold) or `"31"` (red).
    package var parameters: String

    /// Creates a style from SGR parameters.
    ///
    /// - Parameter parameters: Parameters between `ESC [` and `m`, such as `"1;32"`.
    package init(parameters: String) {
        self.parameters = parameters
    }

    /// Bold: the workflow line.
    package static let bold = TextStyle(parameters: "1")
    /// Faint: pending jobs, DEBUG steps, timestamps.
    package static let dim = TextStyle(parameters: "2")
    /// Red: failures and ERROR steps.
    package static let red = TextStyle(parameters: "31")
    /// Bold red: the "failed at" line.
    package static let boldRed = TextStyle(parameters: "1;31")
    /// Green: completed jobs and workflows.
    package static let green = TextStyle(parameters: "32")
    /// Bold green: the "completed" line.
    package static let boldGreen = TextStyle(parameters: "1;32")
    /// Yellow: WARN steps, cancellations, connection notices.
    package static let yellow = TextStyle(parameters: "33")
    /// Blue: INFO steps.
    package static let blue = TextStyle(parameters: "34")
    /// Cyan: running jobs and entity tags.
    package static let cyan = TextStyle(parameters: "36")

    /// `text` wrapped in this style's escape sequence and a reset.
    ///
    /// - Parameter text: Text without control characters.
    /// - Returns: `ESC[<parameters>m text ESC[0m`.
    package func apply(to text: String) -> String {
        "\u{1B}[\(parameters)m\(text)\u{1B}[0m"
    }
}
