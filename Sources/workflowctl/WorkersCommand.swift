import ArgumentParser
import WorkflowCLI

/// `workflowctl workers [--queue Q]`.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the connected workers: name, instance, queues, slots in use, last heartbeat, labels and the leases they hold."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only workers serving this queue.")
    var queue: String = ""

    @OptionGroup var output: OutputOptions<WorkersCommand>

    func run() async throws {
        let queue = self.queue
        let mode = output.mode
        try await connection.run { await $0.workers(queue: queue, output: mode) }
    }
}

extension WorkersCommand: SharedOptionsHelp {
    static var outputHelp: String { "text (default) or json (one object per line)." }
    static var outputModes: [OutputMode] { [.text, .json] }
}
