import CoreMetrics
import RPCCore
import Synchronization

/// Counts the calls a server finished, by how they ended (the `grpc-status` it sent, or
/// CANCELLED for a call the client reset or whose connection went before a status), and the
/// connections it closed because a peer broke a protocol limit, by reason.
///
/// Load tools such as h2load only see HTTP 200; these counts say what the calls really ended with.
package final class CallStatistics: Sendable {
    /// The metrics of one routed method: calls by status, and their durations.
    private struct MethodMetrics {
        var handled: [Int: Counter] = [:]
        var handling: Timer
    }

    /// What finished calls add up to.
    private struct Calls {
        /// Calls by the raw value of their status code.
        var counts: [Int: Int] = [:]
        /// Each routed method's metrics, by path (`unknown` for calls no method serves).
        var methods: [String: MethodMetrics] = [:]
    }

    /// The calls' counts and metrics, under one lock: a finished call takes it once.
    private let calls = Mutex(Calls())
    private let violations = Mutex<[String: Int]>([:])

    /// Creates empty statistics.
    package init() {}

    /// Records one finished call: in the counts by status, and, through swift-metrics, in
    /// `grpc_server_handled_total` (by service, method and code) and the
    /// `grpc_server_handling_seconds` histogram (by service and method).
    ///
    /// - Parameters:
    ///   - code: The status the call ended with.
    ///   - path: The method path (`/<service>/<method>`) of a call routed to a handler; `nil`
    ///     for a request no registered method serves, counted under `unknown` (a client cannot
    ///     create labels).
    ///   - openedAt: When the stream opened.
    func record(_ code: RPCStatus.Code, path: String? = nil, openedAt: ContinuousClock.Instant? = nil) {
        let path = path ?? "unknown"
        // Changed in place, so that a known method's metrics are looked up once and not copied.
        let (counter, timer) = calls.withLock { calls in
            calls.counts[code.rawValue, default: 0] += 1
            return Self.metrics(
                of: code, path: path,
                in: &calls.methods[path, default: MethodMetrics(handling: Timer(label: "grpc_server_handling_seconds", dimensions: Self.dimensions(path)))]
            )
        }
        counter.increment()
        if let openedAt {
            let elapsed = openedAt.duration(to: .now).components
            timer.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
    }

    /// The counter of calls that ended with `code`, made on its first use, and the method's timer.
    private static func metrics(of code: RPCStatus.Code, path: String, in metrics: inout MethodMetrics) -> (Counter, Timer) {
        if let counter = metrics.handled[code.rawValue] {
            return (counter, metrics.handling)
        }
        let counter = Counter(label: "grpc_server_handled_total", dimensions: dimensions(path) + [("grpc_code", code.description)])
        metrics.handled[code.rawValue] = counter
        return (counter, metrics.handling)
    }

    /// The service and method of a routed method's path, parsed as the request head parses it;
    /// `unknown` for anything else.
    private static func dimensions(_ path: String) -> [(String, String)] {
        guard let head = GRPCRequestHead(path: path) else {
            return [("grpc_service", "unknown"), ("grpc_method", "unknown")]
        }
        return [("grpc_service", String(head.service)), ("grpc_method", String(head.method))]
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
        calls.withLock { calls in
            var result: [RPCStatus.Code: Int] = [:]
            for (raw, count) in calls.counts {
                if let code = RPCStatus.Code(rawValue: raw) { result[code] = count }
            }
            return result
        }
    }
}
