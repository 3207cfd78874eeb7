import NGHTTP2

/// One server connection's lifecycle, as a value: the connection handler feeds it what
/// happened (bytes read, streams opened and closed, shutdown requests, timer ticks, protocol
/// failures, the session running dry) and performs the ``Action``s it returns. Streams have
/// their own ``ServerStreamStateMachine``.
///
/// ```
/// open ──beginShutdown──▶ notified ──PING ack / delay──▶ goingAway ──session done──▶ closing
///   └──────────── drain, idle, unresponsive, protocol limit ──────▶ goingAway / closing
/// ```
/// - `notified`: GOAWAY(2^31-1) and a PING went out; new streams are still accepted.
/// - `goingAway`: the final GOAWAY, naming the last stream processed, went out; the connection
///   closes once the streams up to it are done.
/// - `closing`: the output is closed (or the connection is being torn down); nothing more is
///   sent.
struct ServerConnectionStateMachine {
    enum State: Equatable {
        case open
        case notified
        case goingAway
        case closing
    }

    /// What the handler does.
    enum Action: Equatable {
        /// Queue the shutdown notice and a PING, and schedule ``finalGoAwayDue()``.
        case sendShutdownNotice
        /// Queue GOAWAY naming the last stream processed.
        case sendGoAway(errorCode: UInt32, debugData: String)
        /// Queue a keepalive PING.
        case sendPing
        /// Ask every deferred streaming response again, so that it ends with UNAVAILABLE.
        case drainStreams
        /// Log and count a close the peer caused.
        case recordViolation(ProtocolViolation)
        /// Close the output once what is queued is written, then the channel after a linger.
        case closeGracefully
        /// Close the channel now.
        case closeNow
    }

    private(set) var state = State.open
    /// Streaming calls end with UNAVAILABLE once they sent what they have.
    private(set) var isDraining = false
    /// The close the peer caused, once one did (it is counted once).
    private(set) var violation: ProtocolViolation?
    /// A violation this machine detected during a read; the read then fails (``receiveFailed(_:goAwayQueued:)``).
    private var detectedViolation: ProtocolViolation?
    private var liveness: ConnectionLiveness
    /// How many more PING or SETTINGS frames the peer may send now (a token bucket).
    private var ackCredit = Double(Self.ackBurst)
    private var ackCreditUpdated: ContinuousClock.Instant?

    /// PING and SETTINGS frames the peer may send at once; each obliges an acknowledgement.
    static let ackBurst = 1_000
    /// How many such frames per second the peer earns back. Stock clients send a keepalive
    /// PING every few seconds and BDP probes at most about ten times a second.
    static let ackRefillPerSecond = 100.0

    init(liveness: ConnectionLiveness) {
        self.liveness = liveness
    }

    /// How often to call ``tick(at:)``; nil when no timer is needed.
    var tickInterval: Duration? { liveness.tickInterval }

    /// Whether the connection still reads and sends (it is not closing).
    var isOpen: Bool { state != .closing }

    // MARK: Peer activity

    /// The peer sent bytes.
    mutating func bytesRead(at now: ContinuousClock.Instant) {
        liveness.read(at: now)
    }

    /// The number of open streams changed.
    mutating func streamsChanged(openCount: Int, at now: ContinuousClock.Instant) {
        liveness.streamsChanged(openCount: openCount, at: now)
    }

    /// The peer sent a PING or SETTINGS frame that must be acknowledged.
    /// - Returns: false when it is one too many: the read stops, and ``receiveFailed(_:goAwayQueued:)``
    ///   closes the connection for an `ack_flood`.
    mutating func frameNeedingAckReceived(at now: ContinuousClock.Instant) -> Bool {
        if let updated = ackCreditUpdated {
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            ackCredit = min(Double(Self.ackBurst), ackCredit + seconds * Self.ackRefillPerSecond)
        }
        ackCreditUpdated = now
        guard ackCredit >= 1 else {
            detectedViolation = .ackFlood
            return false
        }
        ackCredit -= 1
        return true
    }

    /// The peer acknowledged a PING (a keepalive, or the one after the shutdown notice).
    mutating func pingAcknowledged() -> [Action] {
        liveness.pingAcknowledged()
        return state == .notified ? finalGoAwayDue() : []
    }

    /// libnghttp2 could not go on reading: the peer broke a limit or the protocol.
    mutating func receiveFailed(_ error: HTTP2Error, goAwayQueued: Bool) -> [Action] {
        let violation = detectedViolation ?? ProtocolViolation(error)
        guard state != .closing else { return [] }
        self.violation = violation
        var actions: [Action] = []
        if !goAwayQueued {
            actions.append(.sendGoAway(errorCode: violation.errorCode, debugData: violation.debugData))
        }
        state = .closing
        actions.append(.recordViolation(violation))
        actions.append(.closeGracefully)
        return actions
    }

    /// A GOAWAY left for the peer. One with an error that this machine did not decide on was
    /// libnghttp2's own answer to a protocol error or flood; it is logged and counted too
    /// (libnghttp2 then ends the session itself: ``sessionFinished()`` follows).
    mutating func sentGoAway(errorCode: UInt32) -> [Action] {
        guard errorCode != HTTP2ErrorCodes.noError, violation == nil else { return [] }
        let violation = ProtocolViolation(goAwayErrorCode: errorCode)
        self.violation = violation
        return [.recordViolation(violation)]
    }

    // MARK: Shutdown

    /// The server begins a graceful shutdown.
    mutating func beginShutdown() -> [Action] {
        guard state == .open else { return [] }
        state = .notified
        return [.sendShutdownNotice]
    }

    /// The shutdown notice's PING was acknowledged, or its fallback delay passed.
    mutating func finalGoAwayDue() -> [Action] {
        guard state == .open || state == .notified else { return [] }
        state = .goingAway
        return [.sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "")]
    }

    /// The server's grace period for streams ended: streaming calls end once caught up.
    mutating func drain() -> [Action] {
        guard state != .closing else { return [] }
        isDraining = true
        return finalGoAwayDue() + [.drainStreams]
    }

    // MARK: Timers and output

    /// The liveness timer fired.
    mutating func tick(at now: ContinuousClock.Instant) -> [Action] {
        guard state != .closing else { return [] }
        switch liveness.tick(at: now) {
        case .none:
            return []
        case .sendPing:
            liveness.pingSent(at: now)
            return [.sendPing]
        case .closeIdle:
            state = .closing
            return [.sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "idle timeout"), .closeGracefully]
        case .closeUnresponsive:
            state = .closing
            return [.sendGoAway(errorCode: HTTP2ErrorCodes.noError, debugData: "keepalive timeout"), .closeNow]
        }
    }

    /// The session has nothing more to read or write (GOAWAY exchanged and no stream left, or
    /// a fatal error sent).
    mutating func sessionFinished() -> [Action] {
        guard state != .closing else { return [] }
        state = .closing
        return [.closeGracefully]
    }

    /// Writing failed, or the channel went away.
    mutating func channelFailed() -> [Action] {
        guard state != .closing else { return [] }
        state = .closing
        return [.closeNow]
    }
}

/// A connection closed because of what the peer did: the GOAWAY sent and how it is counted.
struct ProtocolViolation: Equatable, Sendable {
    /// The name it is logged and counted under, such as `ack_flood`.
    let reason: String
    /// The GOAWAY error code.
    let errorCode: UInt32
    /// The GOAWAY's debug data: what the peer did, in words.
    let debugData: String

    init(reason: String, errorCode: UInt32, debugData: String) {
        self.reason = reason
        self.errorCode = errorCode
        self.debugData = debugData
    }

    /// More PING or SETTINGS frames than a peer may send.
    static let ackFlood = ProtocolViolation(
        reason: "ack_flood", errorCode: HTTP2ErrorCodes.enhanceYourCalm,
        debugData: "too many PING or SETTINGS frames awaiting acknowledgement"
    )

    /// The violation behind a fatal libnghttp2 receive error.
    init(_ error: HTTP2Error) {
        switch error.cause {
        case .ackFlood:
            self = .ackFlood
        case .tooManyContinuations:
            self.init(reason: "continuation_flood", errorCode: HTTP2ErrorCodes.enhanceYourCalm,
                      debugData: "header block split into too many CONTINUATION frames")
        case .badPreface:
            self.init(reason: "bad_preface", errorCode: HTTP2ErrorCodes.protocolError,
                      debugData: "the connection did not start with the HTTP/2 client preface")
        case .other:
            self.init(reason: "protocol_error", errorCode: HTTP2ErrorCodes.protocolError,
                      debugData: "\(error)")
        }
    }

    /// A GOAWAY that libnghttp2 queued itself with `goAwayErrorCode`.
    init(goAwayErrorCode: UInt32) {
        let reason = switch goAwayErrorCode {
        case HTTP2ErrorCodes.enhanceYourCalm: "enhance_your_calm"
        case HTTP2ErrorCodes.internalError: "internal_error"
        case HTTP2ErrorCodes.flowControlError: "flow_control_error"
        case HTTP2ErrorCodes.frameSizeError: "frame_size_error"
        case HTTP2ErrorCodes.compressionError: "compression_error"
        default: "protocol_error"
        }
        self.init(reason: reason, errorCode: goAwayErrorCode, debugData: "")
    }
}
