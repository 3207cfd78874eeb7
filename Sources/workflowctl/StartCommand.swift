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

    @OptionGroup var following: FollowOptions<StartCommand>

    func validate() throws {
        _ = try validating { () throws(CommandFailure) in try ParameterList.parse(params) }
        guard !type.isEmpty else { throw ValidationError("TYPE must not be empty, as in: workflowctl start TEST") }
    }

    func run() async throws {
        let userName = user ?? ProcessEnvironment.current()["USER"] ?? "workflowctl"
        let request = WorkflowV1.StartWorkflowRequest(
            type: type, params: try ParameterList.parse(params), userID: userName, userName: userName,
            summary: summary, requestID: requestID
        )
        let options = StartOptions(request: request, follow: following.follow, output: following.output.mode)
        try await connection.run(reconnect: following.reconnect.backoff()) { await $0.start(options) }
    }
}

extension StartCommand: SharedOptionsHelp {
    static var outputHelp: String {
        "live, text or json. Default: live on a terminal, json otherwise (with --follow); the id alone without --follow."
    }
}
