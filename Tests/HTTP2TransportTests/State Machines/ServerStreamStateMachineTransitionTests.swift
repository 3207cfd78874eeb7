@testable import HTTP2Transport
import RPCCore
import Testing

/// Every event in every state: the state it leads to and the action it returns.
@Suite struct ServerStreamStateMachineTransitionTests {
    enum Event: String, CaseIterable, CustomStringConvertible {
        case data, endOfStream, budgetExhausted, takeRequest, startedProducing, unaryAnswer
        case wake, deadlineNoWindow, deadlineWithWindow, deadlineGrace, drain
        case sentEndOfStream, submitFailed, close, readBody

        var description: String { rawValue }

        /// Applies the event; returns the action's name ("took" for a request handed over).
        func apply(to machine: inout ServerStreamStateMachine) -> String {
            switch self {
            case .data: machine.receive(framed([4, 5])).name
            case .endOfStream: machine.receivedEndOfStream().name
            case .budgetExhausted: machine.bufferBudgetExhausted().name
            case .takeRequest: machine.takeRequest() == nil ? "none" : "took"
            case .startedProducing: machine.startedProducing(ScriptedProducer()).name
            case .unaryAnswer: machine.unaryCompleted(.success([1])).name
            case .wake: machine.wake().name
            case .deadlineNoWindow: machine.deadlineExpired(sendWindow: 0).name
            case .deadlineWithWindow: machine.deadlineExpired(sendWindow: 1 << 16).name
            case .deadlineGrace: machine.deadlineGraceExpired().name
            case .drain: machine.drain().name
            case .sentEndOfStream: machine.sentEndOfStream().name
            case .submitFailed: machine.submitFailed().name
            case .close: { machine.close(); return "none" }()
            case .readBody:
                switch machine.read().0 {
                case .bytes: "bytes"
                case .deferred: "deferred"
                case .end(_, let status?): "end(\(status.code))"
                case .end(_, nil): "endOfBody"
                }
            }
        }
    }

    typealias Outcome = (state: String, action: String)

    /// What each event does in each state. Rows not listed keep the state and return `none`.
    static let expected: [StreamFixture: [Event: Outcome]] = [
        .discarding: [
            .endOfStream: ("responding", "submitResponse"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("discarding", "end(CANCELLED)"),
        ],
        .receiving: [
            .endOfStream: ("finished", "trailersOnly(INTERNAL)"),
            .budgetExhausted: ("finished", "trailersOnly(RESOURCE_EXHAUSTED)"),
            .deadlineNoWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .deadlineWithWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("receiving", "end(CANCELLED)"),
        ],
        .dispatchable: [
            .takeRequest: ("awaitingAnswer", "took"),
            .deadlineNoWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .deadlineWithWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("dispatchable", "end(CANCELLED)"),
        ],
        .awaitingAnswer: [
            .startedProducing: ("responding", "submitResponse"),
            .unaryAnswer: ("responding", "submitResponse"),
            .deadlineNoWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .deadlineWithWindow: ("finished", "trailersOnly(DEADLINE_EXCEEDED)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("awaitingAnswer", "end(CANCELLED)"),
        ],
        .respondingUnary: [
            .deadlineNoWindow: ("finished", "reset(8)"),
            .deadlineGrace: ("finished", "reset(8)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("finished", "end(OK)"),
        ],
        .respondingStream: [
            .deadlineNoWindow: ("finished", "reset(8)"),
            .deadlineGrace: ("finished", "reset(8)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("responding", "bytes"),
        ],
        .respondingRequests: [
            .deadlineNoWindow: ("finished", "reset(8)"),
            .deadlineGrace: ("finished", "reset(8)"),
            .sentEndOfStream: ("responding", "reset(0)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("responding", "bytes"),
        ],
        .finished: [
            .sentEndOfStream: ("finished", "reset(0)"),
            .submitFailed: ("finished", "reset(2)"),
            .close: ("closed", "none"),
            .readBody: ("finished", "end(CANCELLED)"),
        ],
        .closed: [
            .readBody: ("closed", "end(CANCELLED)"),
        ],
    ]

    @Test("every event in every state", arguments: StreamFixture.allCases, Event.allCases)
    func transition(fixture: StreamFixture, event: Event) {
        var machine = fixture.make()
        let stateBefore = machine.stateName
        let action = event.apply(to: &machine)
        let outcome = Self.expected[fixture]?[event] ?? (stateBefore, "none")
        #expect(machine.stateName == outcome.state, "\(fixture) + \(event)")
        #expect(action == outcome.action, "\(fixture) + \(event)")
    }

    @Test("a deferred body: a wake-up, a drain, a deadline with window and an early end resume it", arguments: [
        (Event.wake, "resumeBody"), (.drain, "resumeBody"), (.deadlineWithWindow, "resumeBody"),
        (.deadlineNoWindow, "reset(8)"), (.budgetExhausted, "resumeBody"),
    ])
    func deferredBody(event: Event, expected: String) {
        var machine = StreamFixture.respondingRequests.make(producer: ScriptedProducer())
        #expect(machine.read().0 == .deferred(askAgain: false))
        #expect(event.apply(to: &machine) == expected)
    }

    @Test("DATA over the budget: RESOURCE_EXHAUSTED before the call started, trailers after; bytes dropped")
    func refusedReservation() {
        var receiving = StreamFixture.receiving.make()
        let refused = [UInt8](framed([1, 2])).withUnsafeBytes { receiving.receivedData($0) { _ in false } }
        #expect(refused.name == "trailersOnly(RESOURCE_EXHAUSTED)")
        #expect(receiving.bufferedBytes == 0)
        var charged = 0
        var accepted = StreamFixture.receiving.make()
        let action = [UInt8](framed([1, 2])).withUnsafeBytes { accepted.receivedData($0) { charged += $0; return true } }
        #expect(action.name == "none")
        #expect(charged == 7)
        var awaiting = StreamFixture.awaitingAnswer.make()
        #expect(awaiting.unaryCompleted(.failure(RPCStatus(code: .notFound, message: "x"))).name == "trailersOnly(NOT_FOUND)")
    }

    @Test("no state is left holding buffers after it closed", arguments: StreamFixture.allCases)
    func closeDropsEverything(fixture: StreamFixture) {
        let producer = ScriptedProducer([([[1, 2, 3]], .more)])
        var machine = fixture.make(producer: producer)
        _ = machine.receive(framed([1]) + [0, 0])
        machine.close()
        #expect(machine.stateName == "closed")
        #expect(machine.bufferedBytes == 0)
        #expect(machine.requestBytesToHold == 0)
        _ = machine.releasableRequestBytes()
        #expect(machine.heldRequestBytes == 0)
        if fixture == .respondingStream || fixture == .respondingRequests {
            #expect(producer.cancelled)
        }
    }
}
