import WorkflowMessages

extension CommandRunner {
    /// `workflowctl workers`: the connected workers, one per line (a table with their leases,
    /// or one JSON object each).
    ///
    /// - Parameters:
    ///   - queue: Only workers serving this queue; empty for all.
    ///   - output: Text (the default) or JSON lines.
    /// - Returns: ``ExitStatus/success``, or the failure's status.
    package func workers(queue: String, output: OutputMode?) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            var workers: [WorkflowV1.WorkerInfo] = []
            try await withConnection { connection throws(CommandFailure) in
                workers = try await connection.listWorkers(queue: queue).workers
            }
            if output == .json {
                for worker in workers { console.writeLine(MessageJSON.line(for: worker)) }
            } else {
                let lines = WorkerListFormatter().lines(for: workers, nowMs: TimeText.nowMs())
                for line in lines { console.writeLine(line.rendered(width: nil, colour: console.colour)) }
            }
            return .success
        }
    }
}
