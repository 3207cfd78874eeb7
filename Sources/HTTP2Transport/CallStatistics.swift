import RPCCore
import Synchronization

/// Counts the calls a server finished, by the `grpc-status` it sent, and the connections it
/// closed because a peer broke a protocol limit, by reason.
///
/// Load tools such as h2load only see HTTP 200; these counts say what the calls really ended with.
package final class CallStatistics: Sendable {
    private let counts = Mutex<[Int: Int]>([:])
    private let violations = Mutex<[String: Int]>([:])

    /// Creates empty statistics.
    package init() {}

    /// Records one finished call.
    func record(_ code: RPCStatus.Code) {
        counts.withLock { $0[code.rawValue, default: 0] += 1 }
    }

    /// Records one connection closed for a protocol violation.
    func recordViolation(_ reason: String) {
        violations.withLock { $0[reason, default: 0] += 1 }
    }

    /// How many connections were closed for each kind of protocol violation so far, such as
    /// `ack_flood` or `continuation_flood`.
    package var protocolViolations: [String: Int] {
        violations.withLock { $0 }
    }

    /// How many calls ended with each status code so far.
    package var snapshot: [RPCStatus.Code: Int] {
        counts.withLock { counts in
            var result: [RPCStatus.Code: Int] = [:]
            for (raw, count) in counts {
                if let code = RPCStatus.Code(rawValue: raw) { result[code] = count }
            }
            return result
        }
    }
}
