import ArgumentParser
import WorkflowCLI

/// The options every subcommand takes to reach the server, and how a subcommand runs.
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
        _ = try clientOptions()
    }

    /// The client options, reading the address from `--address` or the environment.
    ///
    /// - Parameter reconnect: How a watch reconnects.
    /// - Throws: `ValidationError` for an invalid address or `--timeout`.
    func clientOptions(reconnect: ReconnectBackoff = ReconnectBackoff()) throws -> ClientOptions {
        try validating { () throws(CommandFailure) in
            ClientOptions(
                address: try ServerAddress.resolve(option: address, environment: ProcessEnvironment.current()),
                callTimeout: try Duration(commandLineSeconds: timeout, option: "--timeout", allowingZero: false),
                reconnect: reconnect
            )
        }
    }

    /// Runs one of the runner's commands on this process's console; any status but success
    /// becomes the exit code.
    ///
    /// ```swift
    /// try await connection.run { runner in
    ///     await runner.get(GetOptions(workflowID: id, output: output.mode, showsSteps: steps))
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - reconnect: How a watch reconnects (from ``ReconnectOptions`` in commands that watch).
    ///   - command: Calls the runner.
    /// - Throws: `ExitCode` with the command's status unless it succeeded.
    func run(reconnect: ReconnectBackoff = ReconnectBackoff(), _ command: (CommandRunner) async -> ExitStatus) async throws {
        let runner = CommandRunner(console: .current(environment: ProcessEnvironment.current()), client: try clientOptions(reconnect: reconnect))
        let status = await command(runner)
        if status != .success { throw ExitCode(status.code) }
    }
}
