import ArgumentParser
import WorkflowCLI

/// `workflowctl retry ID [--follow]`.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Re-run a FAILED workflow from the job that failed; with --follow, watch the new attempt.",
        discussion: "With --follow the exit code is the new attempt's outcome: 0 completed, 1 failed, 2 cancelled."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Flag(help: "Watch the new attempt until it ends.")
    var follow = false

    @Option(help: "With --follow: live, text or json. Default: live on a terminal, json otherwise.")
    var output: OutputMode?

    @Flag(help: "Shortcut for --output json.")
    var json = false

    @Option(help: ArgumentHelp("With --follow: how long to keep reconnecting after losing the server.", valueName: "seconds"))
    var reconnectTimeout: Double = 60

    func run() async throws {
        let options = ControlOptions(workflowID: id, follow: follow, output: json ? .json : output)
        let runner = try connection.runner(reconnectSeconds: reconnectTimeout)
        let status = await runner.retry(options)
        if status != .success { throw ExitCode(status.code) }
    }
}
