#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `workflowctl` writes, and what it knows about it: whether standard output is a
/// terminal, whether colour is wanted, and the terminal's size.
///
/// Colour is on only when standard output is a terminal, `NO_COLOR` is unset or empty
/// (no-color.org) and `TERM` is not `dumb`. The live view needs a terminal that is not `dumb`.
/// Writes go straight to the file descriptor, one `write` per call, so a line reaches a pipe
/// (a CI log, `jq`) the moment it is printed.
package struct Console: Sendable {
    /// Whether standard output is a terminal.
    package var outputIsTerminal: Bool
    /// Whether to colour standard output.
    package var colour: Bool
    /// Whether the terminal can redraw lines in place (it is a terminal and `TERM` is not `dumb`).
    package var supportsLiveView: Bool
    /// Columns of the terminal (80 when unknown).
    package var width: Int
    /// Rows of the terminal (24 when unknown).
    package var height: Int

    /// Creates a console description; tests use it to choose output modes.
    package init(outputIsTerminal: Bool, colour: Bool, supportsLiveView: Bool, width: Int = 80, height: Int = 24) {
        self.outputIsTerminal = outputIsTerminal
        self.colour = colour
        self.supportsLiveView = supportsLiveView
        self.width = width
        self.height = height
    }

    /// The console of this process.
    ///
    /// - Parameter environment: The process environment (`NO_COLOR`, `TERM`, `COLUMNS`, `LINES`).
    /// - Returns: What standard output is.
    package static func current(environment: [String: String]) -> Console {
        let isTerminal = isatty(STDOUT_FILENO) == 1
        let dumb = environment["TERM"] == "dumb"
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        var console = Console(outputIsTerminal: isTerminal, colour: isTerminal && !dumb && !noColor, supportsLiveView: isTerminal && !dumb)
        var size = winsize()
        if isTerminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            console.width = Int(size.ws_col)
            console.height = Int(size.ws_row)
        } else {
            console.width = environment["COLUMNS"].flatMap { Int($0) } ?? 80
            console.height = environment["LINES"].flatMap { Int($0) } ?? 24
        }
        return console
    }

    /// Writes `text` to standard output.
    ///
    /// - Parameter text: The text, line breaks included.
    package func write(_ text: String) {
        Self.write(text, to: STDOUT_FILENO)
    }

    /// Writes `text` and a line break to standard output.
    ///
    /// - Parameter text: One line.
    package func writeLine(_ text: String) {
        Self.write(text + "\n", to: STDOUT_FILENO)
    }

    /// Writes `workflowctl: <message>` and a line break to standard error.
    ///
    /// - Parameter message: One line.
    package func report(_ message: String) {
        Self.write("workflowctl: \(TerminalText.oneLine(message))\n", to: STDERR_FILENO)
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                Darwin.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                // The reader went away (EPIPE with SIGPIPE ignored): nobody reads the rest.
                return
            }
        }
    }
}
