import WorkflowMessages

extension CommandRunner {
    /// `workflowctl list`: the newest workflows, one per line (a table, or one JSON object
    /// each), following pages up to the limit.
    ///
    /// - Parameter options: Filters, limit and output.
    /// - Returns: ``ExitStatus/success``, or the failure's status.
    package func list(_ options: ListOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            var workflows: [WorkflowV1.Workflow] = []
            var more = false
            try await withConnection { connection throws(CommandFailure) in
                var request = options.request
                repeat {
                    request.pageSize = Int32(min(1000, options.limit - workflows.count))
                    let page = try await connection.listWorkflows(request)
                    workflows += page.workflows.prefix(options.limit - workflows.count)
                    request.pageToken = page.nextPageToken
                    more = !page.nextPageToken.isEmpty
                } while more && workflows.count < options.limit
            }
            if options.output == .json {
                for workflow in workflows { console.writeLine(MessageJSON.line(for: workflow)) }
            } else {
                let lines = WorkflowListFormatter().lines(for: workflows, nowMs: TimeText.nowMs())
                for line in lines { console.writeLine(line.rendered(width: nil, colour: console.colour)) }
            }
            if more {
                console.report("showing the newest \(workflows.count); more match: raise --limit")
            }
            return .success
        }
    }
}
