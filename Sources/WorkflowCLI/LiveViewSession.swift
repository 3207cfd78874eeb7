import WorkflowMessages

/// The live view of one workflow on a terminal, from a snapshot to its end.
///
/// It takes a `GetWorkflow` snapshot, draws it, then applies the events of a
/// ``WatchSession`` that resumes after the snapshot's newest step, redrawing in place ten
/// times a second (so elapsed times and the spinner move even between events). Connection
/// notices appear inside the frame. When the workflow ends, the final frame stays on screen
/// and the outcome is the exit status.
struct LiveViewSession: Sendable {
    /// Redraws per second while the workflow runs.
    static let frameInterval: Duration = .milliseconds(100)

    private enum Input: Sendable {
        case event(WorkflowV1.LogEvent)
        case notice(WatchNotice)
        case tick
        case finished(Result<WatchEnding, CommandFailure>)
    }

    let console: Console
    let session: WatchSession

    /// Shows the workflow until it ends.
    ///
    /// - Parameters:
    ///   - workflowID: The workflow.
    ///   - connection: An open connection for the snapshot and then the watch, which closes it
    ///     when it is lost or the watch ends.
    ///   - attempt: After a retry, the new attempt: earlier attempts' events are not applied.
    /// - Returns: The workflow's outcome.
    /// - Throws: ``CommandFailure`` when the snapshot or the watch fails.
    func run(workflowID: String, connection: WorkflowConnection, fromAttempt attempt: Int32? = nil) async throws(CommandFailure) -> ExitStatus {
        let snapshot = try await connection.workflow(id: workflowID)
        var state = WorkflowViewState(workflow: snapshot)
        var painter = ScreenPainter(colour: console.colour, width: console.width)
        let renderer = LiveViewRenderer(width: console.width, height: console.height)
        let console = self.console
        console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs()), isFinal: state.isFinished))
        if state.isFinished {
            return try outcome(of: state)
        }

        let start = attempt.map { AttemptGate.watchStart(of: snapshot, beforeAttempt: $0) } ?? state.resumeAfterSequence
        let request = WorkflowV1.WatchLogsRequest(workflowID: workflowID, afterSequence: start)
        var gate = AttemptGate(attempt: attempt)
        let (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
        let session = self.session
        let result: Result<WatchEnding, CommandFailure> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do throws(CommandFailure) {
                    let ending = try await session.run(
                        request, connection: connection,
                        onEvent: { continuation.yield(.event($0)) },
                        onNotice: { continuation.yield(.notice($0)) }
                    )
                    continuation.yield(.finished(.success(ending)))
                } catch {
                    continuation.yield(.finished(.failure(error)))
                }
            }
            group.addTask {
                while true {
                    do { try await Task.sleep(for: Self.frameInterval) } catch { return }
                    continuation.yield(.tick)
                }
            }
            var result: Result<WatchEnding, CommandFailure> = .success(.cancelled)
            loop: for await input in inputs {
                switch input {
                case .event(let event):
                    guard gate.admits(event) else { continue }
                    state.apply(event)
                    if event.kind.isTerminal {
                        console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs())))
                    }
                case .notice(let notice):
                    if case .reconnected = notice {
                        state.connectionNotice = nil
                    } else {
                        state.connectionNotice = notice.text
                    }
                    console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs())))
                case .tick:
                    console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs())))
                case .finished(let ending):
                    result = ending
                    break loop
                }
            }
            group.cancelAll()
            continuation.finish()
            return result
        }

        if case .failure(let failure) = result {
            console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs()), isFinal: true))
            throw failure
        }
        if !state.isFinished {
            // The stream ended without the terminal event in hand: ask for the outcome.
            if let workflow = try await session.record(of: workflowID) { state = WorkflowViewState(workflow: workflow) }
        }
        state.connectionNotice = nil
        console.write(painter.paint(renderer.render(state, nowMs: TimeText.nowMs()), isFinal: true))
        return try outcome(of: state)
    }

    private func outcome(of state: WorkflowViewState) throws(CommandFailure) -> ExitStatus {
        guard let status = ExitStatus(finalStatus: state.status) else {
            throw CommandFailure(exitStatus: .serverError, message: "the watch of \(state.workflowID) ended before the workflow did; watch it again")
        }
        return status
    }
}
