import ArgumentParser
import WorkflowCLI

/// `workflowctl get ID [--output json|text]`.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a workflow: its jobs with status, duration, step counts and stats, its error and failed job."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Option(help: "text (default) or json.")
    var output: OutputMode?

    @Flag(help: "Shortcut for --output json.")
    var json = false

    @Flag(help: "List every step under its job (text output).")
    var steps = false

    func validate() throws {
        if output == .live { throw ValidationError("--output for get is text or json") }
    }

    func run() async throws {
        let runner = try connection.runner()
        let status = await runner.get(GetOptions(workflowID: id, output: json ? .json : output, showsSteps: steps))
        if status != .success { throw ExitCode(status.code) }
    }
}
