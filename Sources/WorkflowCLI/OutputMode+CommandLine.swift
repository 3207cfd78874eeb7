extension OutputMode {
    /// The mode a command line asks for with `--output MODE` or `--json`.
    ///
    /// `--json` is short for `--output json` and wins when both are given.
    ///
    /// - Parameters:
    ///   - output: The `--output` value, if given.
    ///   - json: Whether `--json` was given.
    /// - Returns: The mode, or `nil` when neither was given (the command chooses).
    package static func requested(output: OutputMode?, json: Bool) -> OutputMode? {
        json ? .json : output
    }

    /// Checks that a command prints in the mode `--output` names.
    ///
    /// - Parameters:
    ///   - output: The `--output` value, if given.
    ///   - accepted: The modes the command prints in, in the order the message names them.
    ///   - command: The command's name, such as `get`.
    /// - Throws: ``CommandFailure`` (usage) for another mode, such as
    ///   `--output for get is text or json`.
    package static func check(output: OutputMode?, accepted: [OutputMode], command: String) throws(CommandFailure) {
        guard let output, !accepted.contains(output) else { return }
        let names = accepted.map(\.rawValue)
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1] : names.joined()
        throw .usage("--output for \(command) is \(list)")
    }
}
