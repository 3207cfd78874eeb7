import ArgumentParser
import WorkflowCLI
import WorkflowMessages

/// `workflowctl watch [ID] [--after SEQ] [--level L] [filters]`.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print events as they happen: one workflow's until it ends, or every workflow's.",
        discussion: """
            A lost connection is retried with backoff; the watch resumes after the last event \
            it printed, printing nothing twice. If the server restarted with a new, empty log \
            (its state is in memory), a notice says so and the watch continues with every \
            event of the new log. Watching one workflow, the exit code is its outcome.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A workflow id; without one, every workflow's events.")
    var id: String?

    @Option(help: ArgumentHelp("Start after this event sequence (0: every retained event).", valueName: "seq"))
    var after: UInt64 = 0

    @Flag(help: "Only events that happen from now on.")
    var live = false

    @Option(help: ArgumentHelp("Drop events below this level: debug, info, warn, error.", valueName: "level"))
    var level: String?

    @Option(help: ArgumentHelp("Only events of this kind, such as STEP_LOGGED; repeat for more.", valueName: "kind"))
    var kind: [String] = []

    @Option(help: "Only events of jobs with this name.")
    var job: String?

    @Option(help: "Only steps naming this entity tag, such as ITEM-1-2 (and the workflows' terminal events).")
    var entity: String = ""

    @Option(help: "Only events of workflows of this type.")
    var type: String?

    @Option(help: "Only events of workflows started by this user id.")
    var user: String?

    @OptionGroup var output: OutputOptions<WatchCommand>

    @OptionGroup var reconnect: ReconnectOptions<WatchCommand>

    func validate() throws {
        if let level, WorkflowV1.LogLevel(commandLineName: level) == nil {
            throw ValidationError("--level must be debug, info, warn or error, not '\(level)'")
        }
        if live && after != 0 { throw ValidationError("--live and --after exclude each other") }
    }

    func run() async throws {
        let request = WorkflowV1.WatchLogsRequest(
            workflowID: id ?? "",
            minLevel: level.flatMap(WorkflowV1.LogLevel.init(commandLineName:)) ?? .unspecified,
            afterSequence: after,
            liveOnly: live,
            workflowType: type ?? "",
            userID: user ?? "",
            entityTag: entity
        )
        let options = WatchOptions(
            request: request,
            selection: EventSelection(kinds: kind, jobName: job),
            output: output.mode
        )
        try await connection.run(reconnect: reconnect.backoff()) { await $0.watch(options) }
    }
}

extension WatchCommand: SharedOptionsHelp {
    static var outputHelp: String { "live, text or json. Default: live (one workflow) or text on a terminal, json otherwise." }
    static var reconnectTimeoutHelp: String { "How long to keep reconnecting after losing the server; 0 gives up at once." }
}
