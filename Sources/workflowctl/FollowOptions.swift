import ArgumentParser

/// The options of a command that acts on a workflow and can then watch it (start, retry,
/// cancel): `--follow`, the output, and how long to keep reconnecting, worded for `Command`.
struct FollowOptions<Command: SharedOptionsHelp>: ParsableArguments {
    @Flag(help: ArgumentHelp(Command.followHelp))
    var follow = false

    @OptionGroup var output: OutputOptions<Command>

    @OptionGroup var reconnect: ReconnectOptions<Command>
}
