import ArgumentParser
import WorkflowCLI

/// `workflowctl`: start, inspect and watch workflows of a `workflowd` from a terminal or a CI job.
@main
struct WorkflowCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflowctl",
        abstract: "Start, inspect and watch WorkflowEngine workflows.",
        discussion: """
            On a terminal, events are shown as a live view (one workflow) or coloured lines; \
            piped or in CI, as one JSON object per line. NO_COLOR turns colour off.

            Exit codes: 0 completed (or done), 1 workflow failed, 2 workflow cancelled, \
            3 the server answered with an error, 4 the server is not reachable or the \
            connection was lost for good, 64 usage error.
            """,
        subcommands: [
            StartCommand.self, GetCommand.self, WatchCommand.self, ListCommand.self, RetryCommand.self, CancelCommand.self, WorkersCommand.self,
            UploadCommand.self, DownloadCommand.self, AssetsCommand.self, WhoAmICommand.self,
        ]
    )
}
