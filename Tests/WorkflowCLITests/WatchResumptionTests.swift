import RPCCore
import Testing
import WorkflowCLI
import WorkflowMessages

private func event(_ sequence: UInt64, _ kind: WorkflowV1.LogEventKind = .stepLogged, workflow: String = "wf-1", message: String = "") -> WorkflowV1.LogEvent {
    WorkflowV1.LogEvent(sequence: sequence, timestampMs: 1_000 + Int64(sequence), kind: kind, level: .info,
                        message: message.isEmpty ? "event \(sequence)" : message, workflowID: workflow)
}

@Suite struct WatchResumptionTests {
    @Test func theFirstCallAsksForWhatTheUserAskedFor() {
        var resumption = WatchResumption(request: .init(workflowID: "wf-1", minLevel: .warn, afterSequence: 7))
        #expect(resumption.nextRequest() == .init(workflowID: "wf-1", minLevel: .warn, afterSequence: 7))
        #expect(!resumption.isResuming)
    }

    @Test func resumingOverlapsByOneEventAndDropsItWhenItIsTheSame() {
        var resumption = WatchResumption(request: .init(minLevel: .info, liveOnly: true))
        _ = resumption.nextRequest()
        for sequence in [3, 4, 9] as [UInt64] { #expect(resumption.received(event(sequence)) == .deliver) }
        #expect(resumption.failed(RPCStatus(code: .unavailable)) == .reconnect)

        let resumed = resumption.nextRequest()
        #expect(resumed == .init(minLevel: .info, afterSequence: 8, liveOnly: false))
        #expect(resumption.received(event(9)) == .skip)
        #expect(resumption.received(event(10)) == .deliver)
        #expect(resumption.lastSequence == 10)
    }

    @Test func aDifferentEventAtTheOverlapMeansTheLogRestartedAndTheWatchStartsOver() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        for sequence in 1...5 as ClosedRange<UInt64> { _ = resumption.received(event(sequence)) }
        _ = resumption.failed(RPCStatus(code: .unavailable))

        #expect(resumption.nextRequest().afterSequence == 4)
        // The restarted server already logged more than 5 events: a different event number 5.
        #expect(resumption.received(event(5, workflow: "wf-2")) == .reopen(.logRestarted))
        let fromStart = resumption.nextRequest()
        #expect(fromStart.afterSequence == 0)
        #expect(!fromStart.liveOnly)
        #expect((1...6).map { resumption.received(event($0, workflow: "wf-2")) } == Array(repeating: .deliver, count: 6))
    }

    @Test func outOfRangeAtTheOverlapMeansTheLogRestarted() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        _ = resumption.received(event(40))
        _ = resumption.failed(RPCStatus(code: .unavailable))
        _ = resumption.nextRequest()
        let ahead = RPCStatus(code: .outOfRange, message: "after_sequence 39 is ahead of the newest event 3")
        #expect(resumption.failed(ahead) == .reopen(.logRestarted))
        #expect(resumption.nextRequest().afterSequence == 0)
        #expect(resumption.received(event(1)) == .deliver)
    }

    @Test func outOfRangeForPrunedEventsIsReportedAsMissedEvents() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        _ = resumption.received(event(40))
        _ = resumption.failed(RPCStatus(code: .unavailable))
        _ = resumption.nextRequest()
        let pruned = RPCStatus(code: .outOfRange, message: "events after sequence 39 are no longer retained")
        #expect(resumption.failed(pruned) == .reopen(.eventsNoLongerRetained))
    }

    @Test func outOfRangeOnTheFirstCallIsTheUsersMistake() {
        var resumption = WatchResumption(request: .init(afterSequence: 1_000))
        _ = resumption.nextRequest()
        #expect(resumption.failed(RPCStatus(code: .outOfRange, message: "ahead of the newest event")) == .fail)
    }

    @Test func otherStatusesEndTheWatch() {
        var resumption = WatchResumption(request: .init(workflowID: "wf-1"))
        _ = resumption.nextRequest()
        #expect(resumption.failed(RPCStatus(code: .notFound)) == .fail)
        #expect(resumption.failed(RPCStatus(code: .internalError)) == .fail)
    }

    @Test func nothingOlderThanTheLastDeliveredEventIsDeliveredAgain() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        #expect(resumption.received(event(5)) == .deliver)
        #expect(resumption.received(event(5)) == .skip)
        #expect(resumption.received(event(4)) == .skip)
    }

    @Test func afterAnEventOfAnUnknownKindTheWatchResumesAfterItWithoutACheck() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        _ = resumption.received(event(10))
        #expect(resumption.received(event(20, WorkflowV1.LogEventKind(rawValue: 12))) == .deliver)
        _ = resumption.failed(RPCStatus(code: .unavailable))
        #expect(resumption.nextRequest().afterSequence == 20)
        #expect(resumption.received(event(21)) == .deliver)
    }

    @Test(arguments: [WorkflowV1.LogEventKind.jobRetryScheduled, .jobInterrupted])
    func retryAndInterruptionEventsAreStoredAndCheckedAtTheOverlap(kind: WorkflowV1.LogEventKind) {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        _ = resumption.received(event(10))
        #expect(resumption.received(event(11, kind)) == .deliver)
        _ = resumption.failed(RPCStatus(code: .unavailable))
        #expect(resumption.nextRequest().afterSequence == 10, "overlaps by the stored event")
        #expect(resumption.received(event(11, kind)) == .skip)
        #expect(resumption.received(event(12)) == .deliver)
    }

    @Test func aMarkerOfAnUnknownKindInPlaceOfTheOverlapIsDelivered() {
        var resumption = WatchResumption(request: .init())
        _ = resumption.nextRequest()
        _ = resumption.received(event(10))
        _ = resumption.failed(RPCStatus(code: .unavailable))
        _ = resumption.nextRequest()
        // A server that pruned events 10...30 while the watch was away says so with a marker.
        #expect(resumption.received(event(30, WorkflowV1.LogEventKind(rawValue: 12))) == .deliver)
        #expect(resumption.received(event(31)) == .deliver)
    }

    @Test func aLiveWatchThatDeliveredNothingStaysLive() {
        var resumption = WatchResumption(request: .init(liveOnly: true))
        _ = resumption.nextRequest()
        _ = resumption.failed(RPCStatus(code: .unavailable))
        #expect(resumption.nextRequest().liveOnly)
    }
}

@Suite struct WatchContinuationTests {
    @Test func afterATerminalEventTheNextCallContinuesRightAfterIt() {
        var resumption = WatchResumption(request: .init(workflowID: "wf-1"))
        _ = resumption.nextRequest()
        _ = resumption.received(event(7, .workflowFailed))
        resumption.continueAfterLastEvent()
        #expect(resumption.nextRequest().afterSequence == 7)
        #expect(resumption.received(event(8, .workflowRetried)) == .deliver)
        _ = resumption.failed(RPCStatus(code: .unavailable))
        #expect(resumption.nextRequest().afterSequence == 7)
    }

    @Test func theAttemptGateOpensAtTheRetryOfThatAttempt() {
        var gate = AttemptGate(attempt: 2)
        var retried = event(6, .workflowRetried)
        retried.attempt = 2
        let admitted = [event(5, .workflowFailed), retried, event(7)].map { gate.admits($0) }
        #expect(admitted == [false, true, true])
        var open = AttemptGate(attempt: nil)
        let first = open.admits(event(1))
        #expect(first)
    }
}
