import ArgumentParser
import WorkflowCLI

/// `workflowctl upload FILE [--name N] [--content-type T]`.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Store a local file on the server for workflows to read; prints its id.",
        discussion: """
            The file is streamed in 1 MiB chunks with its SHA-256, which the server checks. Pass \
            the id as file_id, e.g. `workflowctl start IMPORT_ASSETS --param file_id=$(workflowctl upload assets.csv)`.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The file to upload.")
    var file: String

    @Option(help: "The name to store it under (its extension tells IMPORT_ASSETS the format); the file's own name by default.")
    var name: String?

    @Option(help: "Its media type; from its extension by default.")
    var contentType: String?

    @OptionGroup var output: OutputOptions<UploadCommand>

    func run() async throws {
        let (file, name, contentType, mode) = (file, name, contentType, output.mode)
        try await connection.run { await $0.upload(path: file, name: name, contentType: contentType, output: mode) }
    }
}

extension UploadCommand: SharedOptionsHelp {
    static var outputHelp: String { "text (the id alone, the default) or json (the stored file)." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
