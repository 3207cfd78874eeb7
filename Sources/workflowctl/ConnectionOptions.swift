import ArgumentParser
import WorkflowCLI

/// The options every subcommand takes to reach the server.
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The server, host:port.",
        discussion: "Default: $\(ServerAddress.environmentVariable), else \(ServerAddress.defaultAddress).",
        valueName: "host:port"
    ))
    var address: String?

    @Option(help: ArgumentHelp("Seconds to wait for a connection or an answer.", valueName: "seconds"))
    var timeout: Double = 10

    func validate() throws {
        _ = try clientOptions(reconnectSeconds: 0)
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// The client options, reading the address from `--address` or the environment.
    func clientOptions(reconnectSeconds: Double) throws -> ClientOptions {
        guard reconnectSeconds >= 0 else { throw ValidationError("--reconnect-timeout must not be negative") }
        do {
            let address = try ServerAddress.resolve(option: address, environment: ProcessEnvironment.current())
            return ClientOptions(
                address: address,
                callTimeout: .milliseconds(Int64(timeout * 1000)),
                reconnect: ReconnectBackoff(giveUpAfter: .milliseconds(Int64(reconnectSeconds * 1000)))
            )
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// A runner for this process's console.
    func runner(reconnectSeconds: Double = 0) throws -> CommandRunner {
        CommandRunner(console: .current(environment: ProcessEnvironment.current()), client: try clientOptions(reconnectSeconds: reconnectSeconds))
    }
}

extension OutputMode: ExpressibleByArgument {}
