import ArgumentParser
import WorkflowCLI
import WorkflowMessages

/// `workflowctl list [--status S] [--type T] [--user U] [--limit N]`.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workflows, newest first: status, id, type, creation, duration, jobs done, summary and failure."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Only workflows in this state: running, completed, failed, cancelled; repeat for more.", valueName: "status"))
    var status: [String] = []

    @Option(help: "Only workflows of this type.")
    var type: String = ""

    @Option(help: "Only workflows started by this user id.")
    var user: String = ""

    @Option(help: "The most workflows to print.")
    var limit = 50

    @OptionGroup var output: OutputOptions<ListCommand>

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        for name in status where Self.status(named: name) == nil {
            throw ValidationError("--status must be running, completed, failed or cancelled, not '\(name)'")
        }
    }

    func run() async throws {
        let request = WorkflowV1.ListWorkflowsRequest(statuses: status.compactMap(Self.status(named:)), type: type, userID: user)
        let options = ListOptions(request: request, limit: limit, output: output.mode)
        try await connection.run { await $0.list(options) }
    }

    private static func status(named name: String) -> WorkflowV1.WorkflowStatus? {
        switch name.lowercased() {
        case "running": .running
        case "completed": .completed
        case "failed": .failed
        case "cancelled", "canceled": .cancelled
        default: nil
        }
    }
}

extension ListCommand: SharedOptionsHelp {
    static var outputHelp: String { "text (default) or json (one object per line)." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
