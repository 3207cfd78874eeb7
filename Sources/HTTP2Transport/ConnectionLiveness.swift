/// When a server connection is idle or its peer unresponsive: a pure state machine that the
/// connection handler feeds with events and asks, on a timer, what to do.
///
/// - Idle: no stream open for ``idleTimeout`` (including a peer that never sent a preface, or
///   only half of one) → close with GOAWAY(NO_ERROR).
/// - Keepalive: nothing read for ``keepaliveInterval`` → send a PING; no acknowledgement within
///   ``keepaliveTimeout`` → close.
struct ConnectionLiveness {
    /// What the handler does after a ``tick(at:)``.
    enum Action: Equatable {
        case none
        /// Send a keepalive PING (then call ``pingSent(at:)``).
        case sendPing
        /// Idle too long: send GOAWAY(NO_ERROR) and close.
        case closeIdle
        /// The keepalive PING went unanswered: close.
        case closeUnresponsive
    }

    let idleTimeout: Duration?
    let keepaliveInterval: Duration?
    let keepaliveTimeout: Duration

    /// When the peer last sent anything.
    private(set) var lastRead: ContinuousClock.Instant
    /// Since when no stream is open; nil while some are.
    private(set) var idleSince: ContinuousClock.Instant?
    /// When the unacknowledged keepalive PING went out.
    private(set) var pingSentAt: ContinuousClock.Instant?

    /// A connection opened at `now`, with no stream yet.
    init(idleTimeout: Duration?, keepaliveInterval: Duration?, keepaliveTimeout: Duration, now: ContinuousClock.Instant) {
        self.idleTimeout = idleTimeout
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveTimeout = keepaliveTimeout
        self.lastRead = now
        self.idleSince = now
    }

    /// How often the handler should call ``tick(at:)``; nil when nothing is to be checked.
    var tickInterval: Duration? {
        let candidates = [idleTimeout, keepaliveInterval, keepaliveInterval.map { _ in keepaliveTimeout }].compactMap { $0 }
        guard let shortest = candidates.min() else { return nil }
        return max(shortest / 4, .milliseconds(10))
    }

    /// The peer sent bytes.
    mutating func read(at now: ContinuousClock.Instant) {
        lastRead = now
    }

    /// The number of open streams changed.
    mutating func streamsChanged(openCount: Int, at now: ContinuousClock.Instant) {
        if openCount == 0 {
            if idleSince == nil { idleSince = now }
        } else {
            idleSince = nil
        }
    }

    /// The keepalive PING was queued.
    mutating func pingSent(at now: ContinuousClock.Instant) {
        pingSentAt = now
    }

    /// The peer acknowledged a PING.
    mutating func pingAcknowledged() {
        pingSentAt = nil
    }

    /// What to do now.
    func tick(at now: ContinuousClock.Instant) -> Action {
        if let idleTimeout, let idleSince, now - idleSince >= idleTimeout {
            return .closeIdle
        }
        if let pingSentAt {
            return now - pingSentAt >= keepaliveTimeout ? .closeUnresponsive : .none
        }
        if let keepaliveInterval, now - lastRead >= keepaliveInterval {
            return .sendPing
        }
        return .none
    }
}
