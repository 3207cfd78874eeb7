import ArgumentParser
import WorkflowCLI

/// How a command words the options it shares with other commands (``OutputOptions``,
/// ``ReconnectOptions``, ``FollowOptions``), and which output modes it prints in.
///
/// The options are declared and checked once, in those groups; each command that takes them
/// conforms, so that its `--help` says what they mean for it.
///
/// ```swift
/// extension GetCommand: SharedOptionsHelp {
///     static var outputHelp: String { "text (default) or json." }
///     static var outputModes: [OutputMode] { [.text, .json] }
/// }
/// ```
protocol SharedOptionsHelp: ParsableCommand {
    /// The help of `--output`: the modes and how the default is chosen.
    static var outputHelp: String { get }
    /// The modes `--output` takes; all of them unless the command only prints (get, list).
    static var outputModes: [OutputMode] { get }
    /// The help of `--follow`: what is watched.
    static var followHelp: String { get }
    /// The help of `--reconnect-timeout`.
    static var reconnectTimeoutHelp: String { get }
}

extension SharedOptionsHelp {
    static var outputModes: [OutputMode] { OutputMode.allCases }
    static var followHelp: String { "Watch the workflow until it ends." }
    static var reconnectTimeoutHelp: String { "With --follow: how long to keep reconnecting after losing the server." }
}
