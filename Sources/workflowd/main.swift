import ArgumentParser
import Dispatch
import Foundation
import HTTP2Transport
import Logging
import WorkflowEngine
import WorkflowService
import WorkflowTemplates

/// `workflowd`: the WorkflowEngine gRPC server.
@main
struct Workflowd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflowd",
        abstract: "Runs workflows and serves workflow.v1.WorkflowService over gRPC."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (logged as server.port).")
    var port = 50051

    @Option(help: "How many log events to retain for replay.")
    var eventRetention = 1_000_000

    @Option(help: "Largest request message accepted, in bytes.")
    var maxReceiveMessageSize = 4 << 20

    @Option(help: "A templates configuration file declaring more workflow types (README: \"Templates as data\"); a bad one stops the server at start with the line and reason.")
    var templates: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard eventRetention > 0 else { throw ValidationError("--event-retention must be positive") }
        guard maxReceiveMessageSize > 0 else { throw ValidationError("--max-receive-message-size must be positive") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "workflowd")
        // A client that disconnects mid-write must not kill the server.
        signal(SIGPIPE, SIG_IGN)

        let templateRegistry: TemplateRegistry
        do {
            templateRegistry = try ProductTemplates.registry(configurationFile: templates)
        } catch {
            FileHandle.standardError.write(Data("workflowd: bad --templates file: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        logger.info("server.templates", metadata: ["server.workflow_types": "\(templateRegistry.types.joined(separator: ","))"])

        let server = WorkflowServer(
            configuration: .init(
                transport: GRPCServerConfiguration(host: host, port: port, maxReceiveMessageSize: maxReceiveMessageSize),
                eventRetention: eventRetention
            ),
            templates: templateRegistry,
            logger: logger
        )
        _ = try await server.start()
        let signalName = await waitForTerminationSignal()
        logger.info("server.stopping", metadata: ["server.signal": "\(signalName)"])
        try await server.stop()
        let counts = server.callStatistics
            .sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
        logger.info("server.stopped", metadata: ["server.calls_by_status": "\(counts)"])
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Suspends until SIGINT or SIGTERM arrives and returns its name.
private func waitForTerminationSignal() async -> String {
    let queue = DispatchQueue(label: "workflowd.signals")
    let (signals, continuation) = AsyncStream.makeStream(of: String.self)
    var sources: [any DispatchSourceSignal] = []
    for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { continuation.yield(name) }
        source.resume()
        sources.append(source)
    }
    var iterator = signals.makeAsyncIterator()
    let name = await iterator.next() ?? "end of signals"
    withExtendedLifetime(sources) {}
    return name
}
