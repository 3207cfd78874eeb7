import WorkflowMessages

extension CommandRunner {
    /// `workflowctl retry`: re-runs a FAILED workflow from the job that failed; with
    /// `follow`, watches the new attempt to its end.
    ///
    /// - Parameter options: The workflow and how to show it.
    /// - Returns: ``ExitStatus/success`` once retried (without `follow`), else the new
    ///   attempt's outcome, or the failure's status.
    package func retry(_ options: ControlOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            try await withConnection { connection throws(CommandFailure) -> ExitStatus in
                let retried = try await connection.retryWorkflow(id: options.workflowID)
                let summary = "retrying \(retried.workflowID) from \(retried.jobName) (attempt \(retried.attempt))"
                return try await announceAndFollow(summary, options: options, connection: connection, attempt: retried.attempt) { () async throws(CommandFailure) -> UInt64 in
                    AttemptGate.watchStart(of: try await connection.workflow(id: options.workflowID), beforeAttempt: retried.attempt)
                }
            }
        }
    }

    /// `workflowctl cancel`: asks a RUNNING workflow to stop; with `follow`, watches it until
    /// it has (exit 2 once CANCELLED).
    ///
    /// - Parameter options: The workflow, the reason and how to show it.
    /// - Returns: ``ExitStatus/success`` once asked (without `follow`), else the workflow's
    ///   outcome, or the failure's status.
    package func cancel(_ options: ControlOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            try await withConnection { connection throws(CommandFailure) -> ExitStatus in
                _ = try await connection.cancelWorkflow(id: options.workflowID, reason: options.reason)
                let summary = "cancelling \(options.workflowID): its running job stops at its next check"
                return try await announceAndFollow(summary, options: options, connection: connection, attempt: nil) { () async throws(CommandFailure) -> UInt64 in
                    WorkflowViewState(workflow: try await connection.workflow(id: options.workflowID)).resumeAfterSequence
                }
            }
        }
    }

    /// Prints what was done; with `follow`, watches the workflow from `start()` on, over
    /// `connection` first.
    private func announceAndFollow(
        _ summary: String, options: ControlOptions, connection: WorkflowConnection, attempt: Int32?,
        start: () async throws(CommandFailure) -> UInt64
    ) async throws(CommandFailure) -> ExitStatus {
        guard options.follow else {
            console.writeLine(summary)
            return .success
        }
        let mode = OutputMode.forEvents(requested: options.output, console: console, oneWorkflow: true, filtered: false)
        switch mode {
        case .json: console.report(summary)
        case .text: console.writeLine(summary)
        case .live: break
        }
        var request = WorkflowV1.WatchLogsRequest(workflowID: options.workflowID)
        if mode != .live {
            request.afterSequence = try await start()
        }
        return try await follow(request, selection: EventSelection(), mode: mode, connection: connection, fromAttempt: attempt)
    }
}
