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

    @Flag(help: "Connect with TLS, checking the server's certificate against the system's certificate authorities (or --tls-ca's). Default: $WORKFLOWCTL_TLS=1.")
    var tls = false

    @Option(help: ArgumentHelp("Certificate authorities (PEM) the server's certificate must chain to; implies --tls. Default: $WORKFLOWCTL_TLS_CA.", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("This client's certificate chain (PEM) for a server that asks for one (mutual TLS); needs --tls-key, implies --tls. Default: $WORKFLOWCTL_TLS_CERT.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key of --tls-cert (PEM). Default: $WORKFLOWCTL_TLS_KEY.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("The bearer token to send with every call, for a server that authenticates callers (--auth tokens or jwt). Default: $WORKFLOWCTL_TOKEN (safer: a command line is visible to other users of the machine).", valueName: "token"))
    var token: String?

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
                reconnect: reconnect,
                tls: try ClientOptions.tls(
                    requested: tls, trustedAuthorities: tlsCa, certificateChain: tlsCert, privateKey: tlsKey,
                    environment: ProcessEnvironment.current()
                ),
                token: try ClientOptions.token(option: token, environment: ProcessEnvironment.current())
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
