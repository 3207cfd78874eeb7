/// The hint printed under "failed at <job>: <error>": how to run the workflow again.
///
/// The API has no retry call yet, so the hint is the `workflowctl start` command that starts
/// the same type with the same parameters and summary, quoted for a POSIX shell.
public enum RetryHint {
    /// "fix the cause, then run it again: workflowctl start TYPE --param k=v …".
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - params: Its parameters.
    ///   - summary: Its summary (left out when empty).
    /// - Returns: One line.
    public static func text(type: String, params: [String: String], summary: String) -> String {
        "to retry, fix the cause, then run it again: " + command(type: type, params: params, summary: summary)
    }

    /// The `workflowctl start` command line for a type, parameters and summary.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - params: Its parameters, in key order.
    ///   - summary: Its summary (left out when empty).
    /// - Returns: The command, each word quoted when needed.
    public static func command(type: String, params: [String: String], summary: String) -> String {
        var words = ["workflowctl", "start", shellQuoted(type)]
        for key in params.keys.sorted() {
            words.append("--param")
            words.append(shellQuoted("\(key)=\(params[key]!)"))
        }
        if !summary.isEmpty {
            words.append("--summary")
            words.append(shellQuoted(summary))
        }
        return words.joined(separator: " ")
    }

    /// `word` as is when it holds only characters a shell leaves alone, else in single quotes.
    ///
    /// - Parameter word: One argument.
    /// - Returns: The quoted argument.
    public static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", "=", ":", ",", "@", "+": true
            default: false
            }
        }
        if plain { return word }
        return "'" + word.replacingSingleQuotes() + "'"
    }
}

extension String {
    /// Each `'` as `'\''`, for use inside a single-quoted shell word.
    fileprivate func replacingSingleQuotes() -> String {
        var result = ""
        for character in self {
            result += character == "'" ? "'\\''" : String(character)
        }
        return result
    }
}
