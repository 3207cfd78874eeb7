@testable import HTTP2Transport
@testable import NGHTTP2
import Testing

@Suite struct ServerConnectionStateMachineTests {
    typealias Machine = ServerConnectionStateMachine

    static let start = ContinuousClock.now

    static func machine(idle: Duration? = .seconds(10), keepalive: Duration? = .seconds(5)) -> Machine {
        Machine(liveness: ConnectionLiveness(idleTimeout: idle, keepaliveInterval: keepalive, keepaliveTimeout: .seconds(1), now: start))
    }

    static let finalGoAway = Machine.Action.sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "")

    @Test("graceful shutdown: notice, then the final GOAWAY when the PING is acknowledged, once")
    func shutdownByPing() {
        var machine = Self.machine()
        #expect(machine.beginShutdown() == [.sendShutdownNotice])
        #expect(machine.state == .notified)
        #expect(machine.beginShutdown() == [])
        #expect(machine.pingAcknowledged() == [Self.finalGoAway])
        #expect(machine.state == .goingAway)
        #expect(machine.finalGoAwayDue() == [], "the fallback timer finds it done")
        #expect(machine.pingAcknowledged() == [])
    }

    @Test("graceful shutdown: a peer that does not answer the PING gets the final GOAWAY from the timer")
    func shutdownByTimer() {
        var machine = Self.machine()
        _ = machine.beginShutdown()
        #expect(machine.finalGoAwayDue() == [Self.finalGoAway])
    }

    @Test("a keepalive PING acknowledgement while open sends nothing")
    func pingAckWhileOpen() {
        var machine = Self.machine()
        #expect(machine.pingAcknowledged() == [])
        #expect(machine.state == .open)
    }

    @Test("draining from any state before closing sends the final GOAWAY once and drains the streams")
    func drain() {
        for setUp in [{ (_: inout Machine) in }, { _ = $0.beginShutdown() }, { _ = $0.beginShutdown(); _ = $0.finalGoAwayDue() }] {
            var machine = Self.machine()
            setUp(&machine)
            let goAwaySent = machine.state == .goingAway
            #expect(machine.drain() == (goAwaySent ? [] : [Self.finalGoAway]) + [.drainStreams])
            #expect(machine.isDraining)
            #expect(machine.state == .goingAway)
        }
        var closing = Self.machine()
        _ = closing.channelFailed()
        #expect(closing.drain() == [])
    }

    @Test("a flood of PINGs or SETTINGS: GOAWAY(ENHANCE_YOUR_CALM) with a reason, counted, then a graceful close")
    func ackFlood() {
        var machine = Self.machine()
        let violation = ProtocolViolation(HTTP2Error(code: -904))
        #expect(violation.reason == "ack_flood")
        #expect(violation.errorCode == HTTP2ErrorCodes.enhanceYourCalm)
        #expect(!violation.debugData.isEmpty)
        #expect(machine.receiveFailed(HTTP2Error(code: -904), goAwayQueued: false) == [
            .sendGoAway(errorCode: HTTP2ErrorCodes.enhanceYourCalm, debugData: violation.debugData),
            .recordViolation(violation), .closeGracefully,
        ])
        #expect(machine.state == .closing)
        #expect(!machine.isOpen)
        #expect(machine.sentGoAway(errorCode: HTTP2ErrorCodes.enhanceYourCalm) == [], "counted once")
        #expect(machine.receiveFailed(HTTP2Error(code: -904), goAwayQueued: false) == [])
    }

    @Test("PING and SETTINGS: a burst of 1,000, then 100 a second; one more is an ack flood, whatever the reads")
    func ackBudget() {
        var machine = Self.machine()
        var accepted = 0
        for _ in 0..<Machine.ackBurst where machine.frameNeedingAckReceived(at: Self.start) { accepted += 1 }
        #expect(accepted == Machine.ackBurst)
        let oneTooMany = machine.frameNeedingAckReceived(at: Self.start)
        #expect(!oneTooMany)
        let actions = machine.receiveFailed(HTTP2Error(code: -902), goAwayQueued: false)
        #expect(actions.first == .sendGoAway(errorCode: HTTP2ErrorCodes.enhanceYourCalm, debugData: ProtocolViolation.ackFlood.debugData))
        #expect(machine.violation == .ackFlood)

        var patient = Self.machine()
        for _ in 0..<Machine.ackBurst { _ = patient.frameNeedingAckReceived(at: Self.start) }
        let earned = patient.frameNeedingAckReceived(at: Self.start + .milliseconds(10))
        let notYet = patient.frameNeedingAckReceived(at: Self.start + .milliseconds(10))
        #expect(earned, "10 ms earn one back")
        #expect(!notYet)
        var steady = 0
        for second in 1...100 {
            for _ in 0..<100 where patient.frameNeedingAckReceived(at: Self.start + .seconds(second)) { steady += 1 }
        }
        // The first second starts 10 ms after the last frame, so it earns 99.
        #expect(steady == 100 * 100 - 1, "100 a second for 100 seconds")
    }

    @Test("too many CONTINUATION frames and a bad preface have their own reasons")
    func otherViolations() {
        #expect(ProtocolViolation(HTTP2Error(code: -905)).reason == "continuation_flood")
        #expect(ProtocolViolation(HTTP2Error(code: -905)).errorCode == HTTP2ErrorCodes.enhanceYourCalm)
        #expect(ProtocolViolation(HTTP2Error(code: -903)).reason == "bad_preface")
        #expect(ProtocolViolation(HTTP2Error(code: -903)).errorCode == HTTP2ErrorCodes.protocolError)
        #expect(ProtocolViolation(HTTP2Error(code: -902)).reason == "protocol_error")
    }

    @Test("a GOAWAY the session queued itself is not sent twice, but still counted")
    func goAwayAlreadyQueued() {
        var machine = Self.machine()
        let actions = machine.receiveFailed(HTTP2Error(code: -902), goAwayQueued: true)
        #expect(actions.count == 2)
        #expect(actions.last == .closeGracefully)
        guard case .recordViolation = actions.first else {
            Issue.record("expected the violation recorded first, got \(actions)")
            return
        }
    }

    @Test("libnghttp2's own GOAWAY with an error is recorded; NO_ERROR is not")
    func sessionGoAway() {
        var machine = Self.machine()
        #expect(machine.sentGoAway(errorCode: HTTP2ErrorCodes.noError) == [])
        #expect(machine.sentGoAway(errorCode: HTTP2ErrorCodes.protocolError) == [.recordViolation(ProtocolViolation(goAwayErrorCode: 1))])
        #expect(machine.sentGoAway(errorCode: HTTP2ErrorCodes.protocolError) == [], "once per connection")
        #expect(ProtocolViolation(goAwayErrorCode: HTTP2ErrorCodes.flowControlError).reason == "flow_control_error")
    }

    @Test("timer ticks: keepalive PING, idle close, unresponsive close; nothing once closing")
    func ticks() {
        var idle = Self.machine()
        #expect(idle.tick(at: Self.start + .seconds(1)) == [])
        #expect(idle.tick(at: Self.start + .seconds(10)) == [
            .sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "idle timeout"), .closeGracefully,
        ])
        #expect(idle.state == .closing)
        #expect(idle.tick(at: Self.start + .seconds(20)) == [])

        var quiet = Self.machine(idle: nil)
        quiet.streamsChanged(openCount: 1, at: Self.start)
        #expect(quiet.tick(at: Self.start + .seconds(5)) == [.sendPing])
        #expect(quiet.tick(at: Self.start + .milliseconds(5500)) == [])
        #expect(quiet.tick(at: Self.start + .seconds(6)) == [
            .sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "keepalive timeout"), .closeNow,
        ])

        var answering = Self.machine(idle: nil)
        #expect(answering.tick(at: Self.start + .seconds(5)) == [.sendPing])
        #expect(answering.pingAcknowledged() == [])
        answering.bytesRead(at: Self.start + .seconds(5))
        #expect(answering.tick(at: Self.start + .seconds(7)) == [])
    }

    @Test("the session running dry closes gracefully, a failed channel at once; each only once")
    func endings() {
        var finished = Self.machine()
        #expect(finished.sessionFinished() == [.closeGracefully])
        #expect(finished.sessionFinished() == [])
        #expect(finished.channelFailed() == [])
        var failed = Self.machine()
        #expect(failed.channelFailed() == [.closeNow])
        #expect(failed.sessionFinished() == [])
        #expect(failed.beginShutdown() == [])
        #expect(failed.finalGoAwayDue() == [])
    }
}

@Suite struct ConnectionLivenessTests {
    static let start = ContinuousClock.now

    @Test("a connection without streams is idle after the timeout, counted from its last stream")
    func idle() {
        var liveness = ConnectionLiveness(idleTimeout: .seconds(10), keepaliveInterval: nil, keepaliveTimeout: .seconds(1), now: Self.start)
        #expect(liveness.tick(at: Self.start + .seconds(9)) == .none)
        liveness.streamsChanged(openCount: 2, at: Self.start + .seconds(9))
        #expect(liveness.tick(at: Self.start + .seconds(30)) == .none, "streams are open")
        liveness.streamsChanged(openCount: 0, at: Self.start + .seconds(30))
        liveness.streamsChanged(openCount: 0, at: Self.start + .seconds(35))
        #expect(liveness.tick(at: Self.start + .seconds(39)) == .none)
        #expect(liveness.tick(at: Self.start + .seconds(40)) == .closeIdle)
    }

    @Test("keepalive: a PING after the interval without input, a close when it goes unanswered")
    func keepalive() {
        var liveness = ConnectionLiveness(idleTimeout: nil, keepaliveInterval: .seconds(5), keepaliveTimeout: .seconds(2), now: Self.start)
        liveness.read(at: Self.start + .seconds(3))
        #expect(liveness.tick(at: Self.start + .seconds(7)) == .none)
        #expect(liveness.tick(at: Self.start + .seconds(8)) == .sendPing)
        liveness.pingSent(at: Self.start + .seconds(8))
        #expect(liveness.tick(at: Self.start + .seconds(9)) == .none)
        #expect(liveness.tick(at: Self.start + .seconds(10)) == .closeUnresponsive)
        liveness.pingAcknowledged()
        liveness.read(at: Self.start + .seconds(10))
        #expect(liveness.tick(at: Self.start + .seconds(11)) == .none)
    }

    @Test("the timer runs at a quarter of the shortest period, at least every 10 ms, and not at all without periods")
    func tickInterval() {
        #expect(ConnectionLiveness(idleTimeout: nil, keepaliveInterval: nil, keepaliveTimeout: .seconds(20), now: Self.start).tickInterval == nil)
        #expect(ConnectionLiveness(idleTimeout: .seconds(8), keepaliveInterval: nil, keepaliveTimeout: .seconds(20), now: Self.start).tickInterval == .seconds(2))
        #expect(ConnectionLiveness(idleTimeout: .seconds(8), keepaliveInterval: .seconds(60), keepaliveTimeout: .seconds(4), now: Self.start).tickInterval == .seconds(1))
        #expect(ConnectionLiveness(idleTimeout: .milliseconds(8), keepaliveInterval: nil, keepaliveTimeout: .seconds(1), now: Self.start).tickInterval == .milliseconds(10))
    }
}

@Suite struct BufferBudgetTests {
    @Test("reservations fit up to the limit; one that does not is refused and charges nothing")
    func reserve() {
        let budget = BufferBudget(limit: 100)
        #expect(budget.reserve(60))
        #expect(budget.reserve(40))
        #expect(!budget.reserve(1))
        #expect(budget.bytesInUse == 100)
        budget.adjust(by: -50)
        #expect(budget.reserve(50))
        budget.adjust(by: -100)
        #expect(budget.bytesInUse == 0)
    }

    @Test("the default is a sixteenth of the machine's memory, from 64 MiB to 2 GiB")
    func defaultLimit() {
        #expect(BufferBudget.defaultLimit(physicalMemory: 24 << 30) == 1536 << 20)
        #expect(BufferBudget.defaultLimit(physicalMemory: 512 << 20) == 64 << 20)
        #expect(BufferBudget.defaultLimit(physicalMemory: 1 << 40) == 2 << 30)
        #expect(BufferBudget.physicalMemory > 0)
    }
}

/// Every event in every state of the connection machine: the state it leads to and the
/// actions it returns.
@Suite struct ServerConnectionStateMachineTransitionTests {
    typealias Machine = ServerConnectionStateMachine

    enum Fixture: String, CaseIterable, CustomStringConvertible {
        case open, notified, goingAway, closing
        var description: String { rawValue }

        func make() -> Machine {
            var machine = ServerConnectionStateMachineTests.machine(idle: .seconds(10), keepalive: nil)
            switch self {
            case .open: break
            case .notified: _ = machine.beginShutdown()
            case .goingAway: _ = machine.beginShutdown(); _ = machine.finalGoAwayDue()
            case .closing: _ = machine.sessionFinished()
            }
            return machine
        }
    }

    enum Event: String, CaseIterable, CustomStringConvertible {
        case beginShutdown, finalGoAwayDue, pingAcknowledged, drain, idleTick, receiveFailed
        case sessionGoAway, sessionFinished, channelFailed
        var description: String { rawValue }

        func apply(to machine: inout Machine) -> [String] {
            let actions: [Machine.Action] = switch self {
            case .beginShutdown: machine.beginShutdown()
            case .finalGoAwayDue: machine.finalGoAwayDue()
            case .pingAcknowledged: machine.pingAcknowledged()
            case .drain: machine.drain()
            case .idleTick: machine.tick(at: ServerConnectionStateMachineTests.start + .seconds(11))
            case .receiveFailed: machine.receiveFailed(HTTP2Error(code: -905), goAwayQueued: false)
            case .sessionGoAway: machine.sentGoAway(errorCode: HTTP2ErrorCodes.protocolError)
            case .sessionFinished: machine.sessionFinished()
            case .channelFailed: machine.channelFailed()
            }
            return actions.map { action in
                switch action {
                case .sendShutdownNotice: "notice"
                case .sendGoAway(let code, _): "goAway(\(code))"
                case .sendPing: "ping"
                case .drainStreams: "drain"
                case .recordViolation(let violation): "record(\(violation.reason))"
                case .closeGracefully: "closeGracefully"
                case .closeNow: "closeNow"
                }
            }
        }
    }

    static let opened: [Event: (Machine.State, [String])] = [
        .beginShutdown: (.notified, ["notice"]),
        .finalGoAwayDue: (.goingAway, ["goAway(0)"]),
        .drain: (.goingAway, ["goAway(0)", "drain"]),
        .idleTick: (.closing, ["goAway(0)", "closeGracefully"]),
        .receiveFailed: (.closing, ["goAway(11)", "record(continuation_flood)", "closeGracefully"]),
        .sessionGoAway: (.open, ["record(protocol_error)"]),
        .sessionFinished: (.closing, ["closeGracefully"]),
        .channelFailed: (.closing, ["closeNow"]),
    ]

    /// What each event does in each state; events not listed keep the state and do nothing.
    static let expected: [Fixture: [Event: (Machine.State, [String])]] = [
        .open: opened,
        .notified: opened.merging([
            .beginShutdown: (.notified, []),
            .pingAcknowledged: (.goingAway, ["goAway(0)"]),
            .sessionGoAway: (.notified, ["record(protocol_error)"]),
        ]) { $1 },
        .goingAway: opened.merging([
            .beginShutdown: (.goingAway, []),
            .finalGoAwayDue: (.goingAway, []),
            .drain: (.goingAway, ["drain"]),
            .sessionGoAway: (.goingAway, ["record(protocol_error)"]),
        ]) { $1 },
        .closing: [
            .sessionGoAway: (.closing, ["record(protocol_error)"]),
        ],
    ]

    @Test("every event in every state", arguments: Fixture.allCases, Event.allCases)
    func transition(fixture: Fixture, event: Event) {
        var machine = fixture.make()
        let before = machine.state
        let actions = event.apply(to: &machine)
        let outcome = Self.expected[fixture]?[event] ?? (before, [])
        #expect(machine.state == outcome.0, "\(fixture) + \(event)")
        #expect(actions == outcome.1, "\(fixture) + \(event)")
    }
}
