/// The severity of a step or an event, ordered `debug < info < warn < error`.
///
/// Watchers filter with a minimum level:
///
/// ```swift
/// let important = event.level >= .warn
/// ```
public enum LogLevel: Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Detail useful while developing a workflow.
    case debug
    /// Normal progress, the default for steps.
    case info
    /// Something a user may want to look at, such as a cancelled job.
    case warn
    /// A failure.
    case error

    /// The position of the level in the severity order, from 1 for `debug` to 4 for `error`.
    package var rank: Int {
        switch self {
        case .debug: 1
        case .info: 2
        case .warn: 3
        case .error: 4
        }
    }

    /// Orders levels by severity.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rank < rhs.rank
    }

    /// The upper-case name used by the API, e.g. `WARN`.
    public var description: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        }
    }
}
