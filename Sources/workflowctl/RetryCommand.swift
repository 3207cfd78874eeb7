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

    @OptionGroup var following: FollowOptions<RetryCommand>

    func run() async throws {
        let options = ControlOptions(workflowID: id, follow: following.follow, output: following.output.mode)
        try await connection.run(reconnect: following.reconnect.backoff()) { await $0.retry(options) }
    }
}

extension RetryCommand: SharedOptionsHelp {
    static var outputHelp: String { "With --follow: live, text or json. Default: live on a terminal, json otherwise." }
    static var followHelp: String { "Watch the new attempt until it ends." }
}
