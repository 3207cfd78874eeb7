import ArgumentParser
import WorkflowCLI

/// `workflowctl cancel ID [--reason R] [--follow]`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Ask a RUNNING workflow to stop; with --follow, watch it until it has.",
        discussion: "With --follow the exit code is the workflow's outcome: 2 once it is CANCELLED (0 or 1 if it ended first)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Option(help: "Why; recorded in the cancellation events.")
    var reason: String = ""

    @Flag(help: "Watch the workflow until it ends.")
    var follow = false

    @Option(help: "With --follow: live, text or json. Default: live on a terminal, json otherwise.")
    var output: OutputMode?

    @Flag(help: "Shortcut for --output json.")
    var json = false

    @Option(help: ArgumentHelp("With --follow: how long to keep reconnecting after losing the server.", valueName: "seconds"))
    var reconnectTimeout: Double = 60

    func run() async throws {
        let options = ControlOptions(workflowID: id, reason: reason, follow: follow, output: json ? .json : output)
        let runner = try connection.runner(reconnectSeconds: reconnectTimeout)
        let status = await runner.cancel(options)
        if status != .success { throw ExitCode(status.code) }
    }
}
