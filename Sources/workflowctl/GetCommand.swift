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

    @OptionGroup var output: OutputOptions<GetCommand>

    @Flag(help: "List every step under its job (text output).")
    var steps = false

    func run() async throws {
        let options = GetOptions(workflowID: id, output: output.mode, showsSteps: steps)
        try await connection.run { await $0.get(options) }
    }
}

extension GetCommand: SharedOptionsHelp {
    static var outputHelp: String { "text (default) or json." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
