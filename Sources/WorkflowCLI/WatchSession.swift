import RPCCore
import TransportTLS
import WorkflowMessages

/// Runs one watch to its end: calls `WatchLogs`, hands each new event to the caller, and
/// survives lost connections and server restarts.
///
/// When the connection is lost (the call ends UNAVAILABLE), the session reconnects with
/// ``ReconnectBackoff`` and resumes as ``WatchResumption`` decides: exactly after the last
/// event delivered when the server kept its log, from the new log's first event when the
/// server restarted with an empty one. Either way it reports a ``WatchNotice``. Watching one
/// workflow, the session ends once a stream after the workflow's latest terminal event brings
/// nothing new (a retried workflow has one terminal event per attempt); watching all, it runs
/// until its task is cancelled.
///
/// The first connection is not retried: a server that is not there at the start is a
/// mistake to report at once (exit 4), not something to wait for.
///
/// ```swift
/// let session = WatchSession(address: address, backoff: ReconnectBackoff())
/// let ending = try await session.run(WorkflowV1.WatchLogsRequest(workflowID: id), connection: nil,
///     onEvent: { print(MessageJSON.line(for: $0)) }, onNotice: { print($0.text) })
/// ```
package struct WatchSession: Sendable {
    /// Where the server listens.
    package var address: ServerAddress
    /// How reconnection attempts are spaced, and when to give up.
    package var backoff: ReconnectBackoff
    /// The deadline of the TCP connect.
    package var connectTimeout: Duration
    /// TLS for every connection; `nil` for plaintext.
    package var tls: ClientTLSContext?
    /// The bearer token sent with every call; `nil` for none.
    package var token: String?

    /// Creates a session.
    ///
    /// - Parameters:
    ///   - address: Where the server listens.
    ///   - backoff: How reconnection attempts are spaced, and when to give up.
    ///   - connectTimeout: The deadline of each TCP connect.
    ///   - tls: TLS for every connection; `nil` for plaintext.
    ///   - token: The bearer token sent with every call; `nil` for none.
    package init(
        address: ServerAddress, backoff: ReconnectBackoff, connectTimeout: Duration = .seconds(10), tls: ClientTLSContext? = nil,
        token: String? = nil
    ) {
        self.address = address
        self.tls = tls
        self.token = token
        self.backoff = backoff
        self.connectTimeout = connectTimeout
    }

    /// Watches until the stream ends or the task is cancelled.
    ///
    /// - Parameters:
    ///   - request: What to watch (workflow, level, `after_sequence`, `live_only`).
    ///   - connection: A connection to use first, or `nil` to connect.
    ///   - onEvent: Called with each new event, in order, never twice for the same event.
    ///   - onNotice: Called when the connection is lost or regained, or the log restarted.
    /// - Returns: How the watch ended.
    /// - Throws: ``CommandFailure``: the server could not be reached (exit 4, at once at the
    ///   start, after ``ReconnectBackoff/giveUpAfter`` later), or answered with an error (exit 3).
    package func run(
        _ request: WorkflowV1.WatchLogsRequest,
        connection: WorkflowConnection?,
        onEvent: (WorkflowV1.LogEvent) async -> Void,
        onNotice: (WatchNotice) async -> Void
    ) async throws(CommandFailure) -> WatchEnding {
        var current = connection
        do {
            let ending = try await loop(request, connection: &current, onEvent: onEvent, onNotice: onNotice)
            await current?.close()
            return ending
        } catch {
            await current?.close()
            throw error
        }
    }

    /// The workflow's record, read over a new connection: the outcome of a watch whose stream
    /// ended without the workflow's terminal event in hand.
    ///
    /// - Parameter workflowID: The workflow.
    /// - Returns: The workflow, or `nil` when the call fails.
    /// - Throws: ``CommandFailure`` (exit 4) when the server cannot be reached.
    func record(of workflowID: String) async throws(CommandFailure) -> WorkflowV1.Workflow? {
        try await WorkflowConnection.withConnection(to: address, callTimeout: connectTimeout, tls: tls, token: token) { connection in
            try? await connection.workflow(id: workflowID)
        }
    }

    /// The watch itself; `current` is the open connection, if any, for `run` to close.
    private func loop(
        _ request: WorkflowV1.WatchLogsRequest,
        connection current: inout WorkflowConnection?,
        onEvent: (WorkflowV1.LogEvent) async -> Void,
        onNotice: (WatchNotice) async -> Void
    ) async throws(CommandFailure) -> WatchEnding {
        var resumption = WatchResumption(request: request)
        var lostAt: ContinuousClock.Instant?
        var failedAttempts = 0

        while !Task.isCancelled {
            guard let connected = current else {
                let wait = backoff.delay(afterFailedAttempts: failedAttempts, random: Double.random(in: 0..<1))
                if wait > .zero {
                    do { try await Task.sleep(for: wait) } catch { return .cancelled }
                }
                do {
                    current = try await WorkflowConnection.connect(to: address, callTimeout: connectTimeout, tls: tls, token: token)
                } catch {
                    guard let lostAt else { throw error }
                    failedAttempts += 1
                    if ContinuousClock.now - lostAt >= backoff.giveUpAfter {
                        throw CommandFailure(
                            exitStatus: .unreachable,
                            message: "lost the connection to workflowd at \(address) and could not reconnect within "
                                + "\(TimeText.duration(milliseconds: Self.milliseconds(backoff.giveUpAfter))) (\(error.message)): "
                                + "check that the server is running, then watch again with --after \(resumption.lastSequence ?? 0)"
                        )
                    }
                    continue
                }
                if let lost = lostAt {
                    await onNotice(.reconnected(address: address, downtimeMs: Self.milliseconds(ContinuousClock.now - lost), lastSequence: resumption.lastSequence))
                }
                lostAt = nil
                continue
            }

            let call = resumption.nextRequest()
            var iterator = connected.watchLogs(call).makeAsyncIterator()
            var reopenReason: WatchNotice.Reason?
            var previousSequence = resumption.lastSequence
            var undecodable: MessageDecodingError?
            var deliveredTerminalEvent = false
            var receivedAnything = false
            do throws(RPCStatus) {
                while let bytes = try await iterator.next() {
                    receivedAnything = true
                    let event: WorkflowV1.LogEvent
                    do {
                        event = try WorkflowV1.LogEvent(serializedBytes: bytes)
                    } catch {
                        undecodable = error
                        break
                    }
                    previousSequence = resumption.lastSequence
                    switch resumption.received(event) {
                    case .deliver:
                        deliveredTerminalEvent = deliveredTerminalEvent || event.kind.isTerminal
                        await onEvent(event)
                    case .skip: continue
                    case .reopen(let reason): reopenReason = reason
                    }
                    if reopenReason != nil { break }
                }
            } catch {
                if Task.isCancelled { return .cancelled }
                switch resumption.failed(error) {
                case .reconnect:
                    // A call that fails before its first message counts as a failed attempt, so
                    // a server that accepts connections but ends every call is not hammered.
                    failedAttempts = receivedAnything ? 0 : failedAttempts + 1
                    if lostAt == nil {
                        lostAt = .now
                        await onNotice(.connectionLost(address: address, detail: Self.detail(error), lastSequence: resumption.lastSequence))
                    }
                    current = nil
                    await connected.close()
                    continue
                case .reopen(let reason):
                    reopenReason = reason
                case .fail:
                    throw failure(error, request: call, resumed: resumption.isResuming)
                }
            }
            if let undecodable {
                throw CommandFailure(exitStatus: .serverError, message: "\(WorkflowV1.WorkflowService.watchLogs.name): the server sent an event that is not a valid \(WorkflowV1.LogEvent.protoMessageName) (\(undecodable))")
            }
            if let reason = reopenReason {
                switch reason {
                case .logRestarted: await onNotice(.logRestarted(address: address, lastSequence: previousSequence))
                case .eventsNoLongerRetained: await onNotice(.eventsNoLongerRetained(address: address, lastSequence: previousSequence))
                }
                continue
            }
            if Task.isCancelled { return .cancelled }
            if !call.workflowID.isEmpty {
                // The server ends one workflow's stream after a terminal event; a retry may have
                // started another attempt since. Look once more after it: a finished workflow
                // with nothing new ends the next stream at once.
                if deliveredTerminalEvent {
                    resumption.continueAfterLastEvent()
                    continue
                }
                return .streamEnded(lastEvent: resumption.lastEvent)
            }
            // A watch of every workflow never ends with OK unless the server is going away.
            failedAttempts = receivedAnything ? 0 : failedAttempts + 1
            if lostAt == nil {
                lostAt = .now
                await onNotice(.connectionLost(address: address, detail: "the server ended the stream", lastSequence: resumption.lastSequence))
            }
            current = nil
            await connected.close()
        }
        return .cancelled
    }

    private func failure(_ status: RPCStatus, request: WorkflowV1.WatchLogsRequest, resumed: Bool) -> CommandFailure {
        let method = WorkflowV1.WorkflowService.watchLogs.name
        let call = request.workflowID.isEmpty ? method : "\(method) \(request.workflowID)"
        if status.code == .notFound, resumed, !request.workflowID.isEmpty {
            return CommandFailure(
                exitStatus: .serverError,
                message: "workflow \(request.workflowID) is gone from workflowd at \(address) after a reconnect: "
                    + "the server restarted and lost its in-memory state, so the workflow's outcome is unknown; start it again"
            )
        }
        return .rpc(status, call: call, address: address)
    }

    private static func detail(_ status: RPCStatus) -> String {
        status.message.isEmpty ? "\(status.code)" : status.message
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
