import ArgumentParser
import WorkflowCLI

/// `--reconnect-timeout`: how long a watch keeps reconnecting after losing the server, worded
/// for `Command`.
struct ReconnectOptions<Command: SharedOptionsHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.reconnectTimeoutHelp, valueName: "seconds"))
    var reconnectTimeout: Double = 60

    func validate() throws {
        _ = try backoff()
    }

    /// How a watch reconnects: with the usual backoff, giving up after `--reconnect-timeout`.
    ///
    /// - Throws: `ValidationError` for a negative value, or one that is not a number.
    func backoff() throws -> ReconnectBackoff {
        try validating { () throws(CommandFailure) in
            ReconnectBackoff(giveUpAfter: try Duration(commandLineSeconds: reconnectTimeout, option: "--reconnect-timeout", allowingZero: true))
        }
    }
}
