import WorkflowMessages

extension CommandRunner {
    /// `workflowctl whoami`: the caller's subject and roles as the server sees them, e.g.
    /// `alice (user)`, or that the server does not authenticate.
    ///
    /// - Parameter output: Text (the default) or one JSON object.
    /// - Returns: ``ExitStatus/success``, or the failure's status (exit 3 for a refused token).
    package func whoAmI(output: OutputMode?) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            var answer = WorkflowV1.WhoAmIResponse()
            try await withConnection { connection throws(CommandFailure) in
                answer = try await connection.whoAmI()
            }
            if output == .json {
                console.writeLine(MessageJSON.line(for: answer))
            } else if !answer.authenticated {
                let identity = answer.subject.isEmpty ? "" : " (client certificate: \(answer.subject))"
                console.writeLine("the server does not authenticate callers: anyone may do anything\(identity)")
            } else {
                console.writeLine("\(answer.subject) (\(answer.roles.isEmpty ? "no roles" : answer.roles.joined(separator: ", ")))")
            }
            return .success
        }
    }
}
