import WorkflowMessages

/// Carries out `workflowctl`'s commands: the executable parses the command line into options
/// and calls one of these methods, which print and return the exit status.
///
/// Failures never escape: each is printed to standard error as one line (`workflowctl: …`,
/// saying what to do) and turned into its ``ExitStatus``.
///
/// ```swift
/// let runner = CommandRunner(console: .current(environment: env), client: ClientOptions(address: address))
/// let status = await runner.get(GetOptions(workflowID: "wf-0H5N3Q8T2ZK1", output: .json, showsSteps: false))
/// exit(status.code)
/// ```
package struct CommandRunner: Sendable {
    /// Where output goes and what it is.
    package var console: Console
    /// How to reach the server.
    package var client: ClientOptions

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - console: Where output goes and what it is.
    ///   - client: How to reach the server.
    package init(console: Console, client: ClientOptions) {
        self.console = console
        self.client = client
    }

    /// `workflowctl start`: starts a workflow and prints its id; with `follow`, watches it to
    /// its end.
    ///
    /// - Parameter options: The workflow and how to show it.
    /// - Returns: ``ExitStatus/success`` once started (without `follow`), else the
    ///   workflow's outcome, or the failure's status.
    package func start(_ options: StartOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            try await withConnection { connection throws(CommandFailure) -> ExitStatus in
                let started = try await connection.startWorkflow(options.request)
                guard options.follow else {
                    if options.output == .json {
                        var object = JSONObjectWriter()
                        object.add("workflow_id", started.workflowID)
                        object.add("status", started.status.shortName)
                        console.writeLine(object.text)
                    } else {
                        console.writeLine(started.workflowID)
                    }
                    return .success
                }
                let mode = OutputMode.forEvents(requested: options.output, console: console, oneWorkflow: true, filtered: false)
                switch mode {
                case .json: console.report("started \(options.request.type) workflow \(started.workflowID)")
                case .text: console.writeLine("started \(options.request.type) workflow \(started.workflowID)")
                case .live: break
                }
                return try await follow(
                    WorkflowV1.WatchLogsRequest(workflowID: started.workflowID), selection: EventSelection(),
                    mode: mode, connection: connection
                )
            }
        }
    }

    /// `workflowctl get`: prints one workflow's tree.
    ///
    /// - Parameter options: Which workflow and how to show it.
    /// - Returns: ``ExitStatus/success`` when the workflow was printed, whatever its status.
    package func get(_ options: GetOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            let workflow = try await withConnection { connection throws(CommandFailure) in
                try await connection.workflow(id: options.workflowID)
            }
            if options.output == .json {
                console.writeLine(MessageJSON.line(for: workflow))
            } else {
                let lines = WorkflowTreeFormatter(showsSteps: options.showsSteps).lines(for: workflow, nowMs: TimeText.nowMs())
                for line in lines { console.writeLine(line.rendered(width: nil, colour: console.colour)) }
            }
            return .success
        }
    }

    /// `workflowctl watch`: prints events as they happen, surviving reconnects.
    ///
    /// - Parameter options: What to watch and how to show it.
    /// - Returns: For one workflow, its outcome; for all workflows, only a failure ends the watch.
    package func watch(_ options: WatchOptions) async -> ExitStatus {
        await reportingFailure { () async throws(CommandFailure) -> ExitStatus in
            let oneWorkflow = !options.request.workflowID.isEmpty
            let filtered = options.selection.isFiltering || options.request.afterSequence != 0
                || options.request.liveOnly || options.request.minLevel != .unspecified
                || !options.request.workflowType.isEmpty || !options.request.userID.isEmpty
                || !options.request.jobID.isEmpty || !options.request.entityTag.isEmpty
            let mode = OutputMode.forEvents(requested: options.output, console: console, oneWorkflow: oneWorkflow, filtered: filtered)
            if mode == .live, !oneWorkflow {
                throw .usage("--output live shows one workflow: pass its id, as in workflowctl watch wf-0H5N3Q8T2ZK1")
            }
            return try await withConnection { connection throws(CommandFailure) in
                try await follow(options.request, selection: options.selection, mode: mode, connection: connection)
            }
        }
    }

    // MARK: Shared

    /// Connects to the server, runs `body` with the connection, and closes it however `body`
    /// ends: how every command talks to the server.
    ///
    /// - Parameter body: The calls to make; it may hand the connection on to a watch.
    /// - Returns: What `body` returns.
    /// - Throws: ``CommandFailure``: exit 4 when the server cannot be reached, else what `body`
    ///   throws.
    func withConnection<Result>(_ body: (WorkflowConnection) async throws(CommandFailure) -> Result) async throws(CommandFailure) -> Result {
        try await WorkflowConnection.withConnection(to: client.address, callTimeout: client.callTimeout, tls: client.tls, token: client.token, body)
    }

    private var watchSession: WatchSession {
        WatchSession(address: client.address, backoff: client.reconnect, connectTimeout: client.callTimeout, tls: client.tls, token: client.token)
    }

    /// Watches `request` in `mode`; for one workflow, returns its outcome.
    ///
    /// - Parameters:
    ///   - request: What to watch; the live view finds its own starting point.
    ///   - selection: Which events to print.
    ///   - mode: How to print them.
    ///   - connection: An open connection to watch on first; the watch closes it when it is lost
    ///     or the watch ends.
    ///   - attempt: After a retry, the new attempt: earlier attempts' events are skipped.
    func follow(
        _ request: WorkflowV1.WatchLogsRequest, selection: EventSelection, mode: OutputMode, connection: WorkflowConnection,
        fromAttempt attempt: Int32? = nil
    ) async throws(CommandFailure) -> ExitStatus {
        if mode == .live {
            return try await LiveViewSession(console: console, session: watchSession)
                .run(workflowID: request.workflowID, connection: connection, fromAttempt: attempt)
        }
        let console = self.console
        let formatter = EventLineFormatter(showsWorkflow: request.workflowID.isEmpty)
        var terminalEvent: WorkflowV1.LogEvent?
        var gate = AttemptGate(attempt: attempt)
        let ending = try await watchSession.run(request, connection: connection, onEvent: { event in
            guard gate.admits(event) else { return }
            if event.kind.isTerminal { terminalEvent = event }
            guard selection.matches(event) else { return }
            switch mode {
            case .json: console.writeLine(MessageJSON.line(for: event))
            default: console.writeLine(formatter.line(for: event).rendered(width: nil, colour: console.colour))
            }
        }, onNotice: { notice in
            console.report(notice.text)
        })
        guard case .streamEnded = ending, !request.workflowID.isEmpty else { return .success }

        var status = terminalEvent.map { $0.workflowStatus != .unspecified ? $0.workflowStatus : Self.status(ending: $0.kind) }
        var error = terminalEvent?.error ?? ""
        var failedJob = terminalEvent?.jobName ?? ""
        if status == nil || status == .failed {
            // The stream ended without a terminal event in hand (or without the failed job's
            // name): the workflow's own record has the outcome.
            if let workflow = try await watchSession.record(of: request.workflowID) {
                status = workflow.status
                error = workflow.error
                failedJob = workflow.failedJobName
            }
        }
        guard let status, let exit = ExitStatus(finalStatus: status) else {
            throw CommandFailure(exitStatus: .serverError, message: "the watch of \(request.workflowID) ended before the workflow did; watch it again")
        }
        if status == .failed {
            let summary = "failed\(failedJob.isEmpty ? "" : " at \(failedJob)"): \(error)"
            let hint = RetryHint.text(workflowID: request.workflowID)
            if mode == .json {
                console.report("workflow \(request.workflowID) \(summary); \(hint)")
            } else {
                var line = StyledLine()
                line.append("✗ " + summary, .boldRed)
                console.writeLine(line.rendered(width: nil, colour: console.colour))
                var hintLine = StyledLine()
                hintLine.append("  " + hint, .dim)
                console.writeLine(hintLine.rendered(width: nil, colour: console.colour))
            }
        }
        return exit
    }

    private static func status(ending kind: WorkflowV1.LogEventKind) -> WorkflowV1.WorkflowStatus {
        switch kind {
        case .workflowCompleted: .completed
        case .workflowFailed: .failed
        default: .cancelled
        }
    }

    func reportingFailure(_ body: () async throws(CommandFailure) -> ExitStatus) async -> ExitStatus {
        do {
            return try await body()
        } catch {
            console.report(error.message)
            return error.exitStatus
        }
    }
}
