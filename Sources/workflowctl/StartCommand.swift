import ArgumentParser
import WorkflowCLI
import WorkflowMessages

/// `workflowctl start TYPE --param k=v … [--follow]`.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a workflow and print its id; with --follow, watch it to its end.",
        discussion: "With --follow the exit code is the workflow's outcome: 0 completed, 1 failed, 2 cancelled."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The workflow type, such as TEST.")
    var type: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter; repeat for more.", valueName: "key=value"))
    var params: [String] = []

    @Option(help: "A human-readable summary.")
    var summary: String = ""

    @Option(help: "Who starts it (user id and name). Default: $USER.")
    var user: String?

    @Option(help: "A caller-chosen id that makes repeating this command safe.")
    var requestID: String = ""

    @Flag(help: "Watch the workflow until it ends.")
    var follow = false

    @Flag(help: "Shortcut for --output json.")
    var json = false

    @Option(help: "live, text or json. Default: live on a terminal, json otherwise (with --follow); the id alone without --follow.")
    var output: OutputMode?

    @Option(help: ArgumentHelp("With --follow: how long to keep reconnecting after losing the server.", valueName: "seconds"))
    var reconnectTimeout: Double = 60

    func validate() throws {
        do {
            _ = try ParameterList.parse(params)
        } catch {
            throw ValidationError(error.message)
        }
        guard !type.isEmpty else { throw ValidationError("TYPE must not be empty, as in: workflowctl start TEST") }
    }

    func run() async throws {
        let runner = try connection.runner(reconnectSeconds: reconnectTimeout)
        let userName = user ?? ProcessEnvironment.current()["USER"] ?? "workflowctl"
        let request = WorkflowV1.StartWorkflowRequest(
            type: type, params: try ParameterList.parse(params), userID: userName, userName: userName,
            summary: summary, requestID: requestID
        )
        let status = await runner.start(StartOptions(request: request, follow: follow, output: json ? .json : output))
        if status != .success { throw ExitCode(status.code) }
    }
}
