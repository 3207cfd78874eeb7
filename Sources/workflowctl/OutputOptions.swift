import ArgumentParser
import WorkflowCLI

/// `--output MODE` and its shortcut `--json`, worded for `Command` and checked against the
/// modes it prints in.
struct OutputOptions<Command: SharedOptionsHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.outputHelp))
    var output: OutputMode?

    @Flag(help: "Shortcut for --output json.")
    var json = false

    /// The mode asked for, or `nil` for the command's default.
    var mode: OutputMode? {
        OutputMode.requested(output: output, json: json)
    }

    func validate() throws {
        try validating { () throws(CommandFailure) in
            try OutputMode.check(output: output, accepted: Command.outputModes, command: Command.configuration.commandName ?? "")
        }
    }
}

extension OutputMode: ExpressibleByArgument {}
