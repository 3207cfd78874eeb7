import ArgumentParser
import WorkflowCLI
import WorkflowMessages

/// `workflowctl assets [TAG_OR_ID] [--type T] [--tag-prefix P] [--flagged] [--linked-to TAG] [--limit N]`.
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "List the asset registry (what imports create, rules flag and exports read), or show one asset."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "One asset's tag (e.g. P-101) or id (e.g. 17, the end of a step's route /assets/17).")
    var tagOrID: String?

    @Option(help: "Only assets of this type, e.g. Pump.")
    var type: String = ""

    @Option(help: "Only assets whose tag starts with this text.")
    var tagPrefix: String = ""

    @Flag(help: "Only assets with a rule flag.")
    var flagged = false

    @Option(help: "Only assets linked to this tag.")
    var linkedTo: String = ""

    @Option(help: "At most this many assets, 1 to 1000.")
    var limit: Int32 = 100

    @OptionGroup var output: OutputOptions<AssetsCommand>

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run() async throws {
        let request = WorkflowV1.ListAssetsRequest(type: type, tagPrefix: tagPrefix, flaggedOnly: flagged, linkedTo: linkedTo, pageSize: limit)
        let (tagOrID, mode) = (tagOrID, output.mode)
        try await connection.run { await $0.assets(request, tagOrID: tagOrID, output: mode) }
    }
}

extension AssetsCommand: SharedOptionsHelp {
    static var outputHelp: String { "text (a table, the default) or json (one object per line)." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
