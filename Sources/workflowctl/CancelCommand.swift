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

    @OptionGroup var following: FollowOptions<CancelCommand>

    func run() async throws {
        let options = ControlOptions(workflowID: id, reason: reason, follow: following.follow, output: following.output.mode)
        try await connection.run(reconnect: following.reconnect.backoff()) { await $0.cancel(options) }
    }
}

extension CancelCommand: SharedOptionsHelp {
    static var outputHelp: String { "With --follow: live, text or json. Default: live on a terminal, json otherwise." }
}
