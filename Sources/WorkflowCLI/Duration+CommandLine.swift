extension Duration {
    /// The most seconds an option takes: about 31 years, beyond any wait worth asking for and
    /// small enough for every deadline computed from it.
    private static let commandLineSecondsLimit: Double = 1_000_000_000

    /// A duration given on the command line in seconds, such as `--timeout 2.5`, to the
    /// millisecond.
    ///
    /// - Parameters:
    ///   - seconds: The option's value.
    ///   - option: The option, such as `--timeout`, for the message.
    ///   - allowingZero: Whether zero is a meaningful value (`--reconnect-timeout 0`: give up
    ///     at once) rather than a mistake.
    /// - Throws: ``CommandFailure`` (usage) for a negative value (or zero, unless allowed), a
    ///   value that is not a number, or one above a billion seconds.
    package init(commandLineSeconds seconds: Double, option: String, allowingZero: Bool) throws(CommandFailure) {
        // Also false for NaN.
        guard allowingZero ? seconds >= 0 : seconds > 0 else {
            throw .usage(allowingZero ? "\(option) must not be negative" : "\(option) must be positive")
        }
        guard seconds <= Self.commandLineSecondsLimit else {
            throw .usage("\(option) must be at most \(Int(Self.commandLineSecondsLimit)) seconds")
        }
        self = .milliseconds(Int64(seconds * 1000))
    }
}
