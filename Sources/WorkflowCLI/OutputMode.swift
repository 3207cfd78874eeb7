/// How a command prints events and workflows.
package enum OutputMode: String, CaseIterable, Hashable, Sendable {
    /// The live view: one workflow redrawn in place (terminals only).
    case live
    /// One human-readable line per event, coloured on a terminal.
    case text
    /// One JSON object per line: stable field names, no colour, no control characters.
    case json

    /// The mode for a command that shows events when the user asked for `requested` (nil:
    /// not asked).
    ///
    /// Unasked, a terminal gets the live view for one workflow (text lines for all
    /// workflows, or when `filtered`, since the live view shows everything), and anything else
    /// (a pipe, a file, CI) gets JSON lines.
    ///
    /// - Parameters:
    ///   - requested: The `--output` value, if any.
    ///   - console: Where output goes.
    ///   - oneWorkflow: Whether a single workflow is shown.
    ///   - filtered: Whether the user narrowed the events (`--kind`, `--after`, …).
    /// - Returns: The mode.
    package static func forEvents(requested: OutputMode?, console: Console, oneWorkflow: Bool, filtered: Bool) -> OutputMode {
        if let requested { return requested }
        guard console.outputIsTerminal else { return .json }
        return oneWorkflow && !filtered && console.supportsLiveView ? .live : .text
    }
}
