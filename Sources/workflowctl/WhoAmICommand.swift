import ArgumentParser
import WorkflowCLI

/// `workflowctl whoami`.
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show who the server takes this client to be (from --token or the client certificate) and its roles."
    )

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var output: OutputOptions<WhoAmICommand>

    func run() async throws {
        let mode = output.mode
        try await connection.run { await $0.whoAmI(output: mode) }
    }
}

extension WhoAmICommand: SharedOptionsHelp {
    static var outputHelp: String { "text (default) or json." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
