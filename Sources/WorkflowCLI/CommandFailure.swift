import RPCCore

/// Why a `workflowctl` command stopped early: the exit status and a one-line message that says
/// what went wrong and what to do about it.
///
/// Every failure a command can meet is turned into one of these at the point where the most
/// context is known (which call, which address, whether it was a reconnect), so the executable
/// only prints ``message`` to standard error and exits with ``exitStatus``.
///
/// ```swift
/// throw CommandFailure.usage("--param 'jobs' needs a value: write --param jobs=3")
/// ```
package struct CommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The process exit status.
    package var exitStatus: ExitStatus

    /// One line, without a trailing newline, for standard error.
    package var message: String

    /// Creates a failure; line breaks and control characters in `message` become spaces, so
    /// the message stays one line.
    ///
    /// - Parameters:
    ///   - exitStatus: The process exit status.
    ///   - message: What went wrong and what to do.
    package init(exitStatus: ExitStatus, message: String) {
        self.exitStatus = exitStatus
        self.message = TerminalText.oneLine(message)
    }

    /// A command-line mistake (exit 64).
    ///
    /// - Parameter message: What is wrong and how to write it instead.
    /// - Returns: The failure.
    package static func usage(_ message: String) -> CommandFailure {
        CommandFailure(exitStatus: .usage, message: message)
    }

    /// The server cannot be reached at `address` (exit 4).
    ///
    /// - Parameters:
    ///   - address: Where the client tried to connect.
    ///   - detail: What the connection attempt reported.
    /// - Returns: The failure.
    package static func unreachable(_ address: ServerAddress, detail: String) -> CommandFailure {
        CommandFailure(
            exitStatus: .unreachable,
            message: "workflowd is not reachable at \(address) (\(detail)): start it (Scripts/run.sh) "
                + "or point --address or \(ServerAddress.environmentVariable) at a running server"
        )
    }

    /// The failure for a call that ended with `status`.
    ///
    /// UNAVAILABLE and DEADLINE_EXCEEDED mean the server was not there to answer (exit 4);
    /// every other code is the server's answer to this request (exit 3), with a hint for the
    /// codes a user can do something about.
    ///
    /// - Parameters:
    ///   - status: How the call ended.
    ///   - call: What the call was for, such as `GetWorkflow wf-0123`.
    ///   - address: The server's address.
    /// - Returns: The failure.
    package static func rpc(_ status: RPCStatus, call: String, address: ServerAddress) -> CommandFailure {
        let detail = status.message.isEmpty ? "\(status.code)" : "\(status.code): \(status.message)"
        switch status.code {
        case .unavailable:
            return .unreachable(address, detail: detail)
        case .deadlineExceeded:
            return CommandFailure(
                exitStatus: .unreachable,
                message: "workflowd at \(address) did not answer \(call) in time (\(detail)): check that it is running and not overloaded"
            )
        case .notFound:
            return CommandFailure(
                exitStatus: .serverError,
                message: "\(call) failed: \(detail): check the id (finished workflows are kept up to workflowd's retention limits)"
            )
        case .outOfRange:
            return CommandFailure(
                exitStatus: .serverError,
                message: "\(call) failed: \(detail): pass a smaller --after, or --live to follow new events only"
            )
        case .unauthenticated:
            return CommandFailure(
                exitStatus: .serverError,
                message: "\(call) failed: \(detail): pass a token the server takes with --token (or $\(ClientOptions.tokenEnvironmentVariable))"
            )
        case .unimplemented:
            return CommandFailure(
                exitStatus: .serverError,
                message: "\(call) failed: \(detail): the server at \(address) does not offer this call; is it an older workflowd?"
            )
        default:
            return CommandFailure(exitStatus: .serverError, message: "\(call) failed: \(detail)")
        }
    }

    /// The exit status and message.
    package var description: String {
        "\(exitStatus): \(message)"
    }
}
