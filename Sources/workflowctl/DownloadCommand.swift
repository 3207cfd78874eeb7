import ArgumentParser
import WorkflowCLI

/// `workflowctl download ID... [--to PATH]`.
struct DownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Save artifacts a workflow produced (EXPORT_PACKAGE's spreadsheet and report) to local files.",
        discussion: """
            An artifact id is `<workflow id>.<name>`, as `workflowctl get` lists them; a workflow \
            id saves all its artifacts. Each file is checked against its SHA-256 and replaces an \
            existing one only once complete. Prints each saved path and size.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Artifact ids, or workflow ids for all their artifacts.")
    var ids: [String]

    @Option(name: .customLong("to"), help: "A directory to save into (the current one by default), or the file to save one artifact as.")
    var destination: String?

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("name at least one artifact or workflow id") }
    }

    func run() async throws {
        let (ids, destination) = (ids, destination)
        try await connection.run { await $0.download(ids: ids, destination: destination) }
    }
}
