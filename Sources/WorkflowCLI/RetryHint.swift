/// The hint printed under "failed at <job>: <error>": how to run the workflow again.
package enum RetryHint {
    /// "to retry from the failed job: workflowctl retry ID".
    ///
    /// - Parameter workflowID: The failed workflow.
    /// - Returns: One line.
    package static func text(workflowID: String) -> String {
        "to retry from the failed job: workflowctl retry \(shellQuoted(workflowID))"
    }

    /// `word` as is when it holds only characters a shell leaves alone, else in single quotes.
    ///
    /// - Parameter word: One argument.
    /// - Returns: The quoted argument.
    package static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", "=", ":", ",", "@", "+": true
            default: false
            }
        }
        if plain { return word }
        var quoted = "'"
        for character in word {
            quoted += character == "'" ? "'\\''" : String(character)
        }
        return quoted + "'"
    }
}
