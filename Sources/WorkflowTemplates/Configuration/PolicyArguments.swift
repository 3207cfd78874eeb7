import WorkflowEngine

/// The retry, timeout and deadline keys of a templates configuration line, taken out of its
/// arguments and checked; a key that is absent leaves the value to the level below (a job line
/// falls back to its `[TYPE]` header, the header to the product default).
///
/// | key | meaning | value |
/// | --- | --- | --- |
/// | `retries` | retries after the first attempt (max attempts = retries + 1) | 0–100 |
/// | `backoff` | the wait before the first retry | a duration, e.g. `500ms` |
/// | `backoff_multiplier` | how much longer each next wait is | 1–100 |
/// | `max_backoff` | the longest wait | a duration, at least `backoff` |
/// | `jitter` | how much each wait is spread, as a fraction of it | 0–1 |
/// | `no_retry` | error codes never retried, comma-separated; empty for none | e.g. `TIMEOUT,VALIDATION` |
/// | `timeout` | each attempt's start-to-close timeout | a duration above 0 |
/// | `deadline` | the workflow's deadline, on a `[TYPE]` header only | a duration above 0 |
///
/// A duration is a whole number with a unit: `ms`, `s`, `m` or `h` (`250ms`, `30s`, `10m`,
/// `1h`); a bare number is refused.
///
/// ```swift
/// var arguments = ["file_path": "a.csv", "retries": "4", "timeout": "30s"]
/// let policy = try PolicyArguments(taking: &arguments, allowingDeadline: false)
/// // arguments == ["file_path": "a.csv"]; policy.retries == 4; policy.timeout == .seconds(30)
/// ```
struct PolicyArguments: Sendable, Hashable {
    /// The keys a job line may carry.
    static let jobKeys = ["retries", "backoff", "backoff_multiplier", "max_backoff", "jitter", "no_retry", "timeout"]
    /// The keys a `[TYPE]` header may carry: the job keys, which become defaults for its jobs,
    /// and `deadline`.
    static let headerKeys = jobKeys + ["deadline"]

    /// Retries after the first attempt.
    var retries: Int?
    /// The wait before the first retry.
    var backoff: Duration?
    /// How much longer each next wait is.
    var backoffMultiplier: Double?
    /// The longest wait.
    var maxBackoff: Duration?
    /// How much each wait is spread.
    var jitter: Double?
    /// Error codes never retried.
    var nonRetryableCodes: Set<JobErrorCode>?
    /// Each attempt's start-to-close timeout.
    var timeout: Duration?
    /// The workflow's deadline.
    var deadline: Duration?

    /// No keys: everything falls back to the level below.
    init() {}

    /// Takes the reserved keys out of `arguments` and checks their values.
    ///
    /// - Parameters:
    ///   - arguments: A line's `key=value` arguments; the reserved keys are removed, the rest
    ///     (a job's parameters) stay.
    ///   - allowingDeadline: Whether the line may set `deadline` (a `[TYPE]` header).
    /// - Throws: ``DeclarationLineError`` naming the key, its value and what is wrong.
    init(taking arguments: inout [String: String], allowingDeadline: Bool) throws(DeclarationLineError) {
        if !allowingDeadline, arguments["deadline"] != nil {
            throw DeclarationLineError(reason: "deadline applies to the whole workflow: put it on the [TYPE] header")
        }
        retries = try Self.take("retries", from: &arguments) { text throws(DeclarationLineError) in
            guard let value = Int(text), (0...100).contains(value) else {
                throw DeclarationLineError(reason: "must be a whole number from 0 to 100")
            }
            return value
        }
        backoff = try Self.take("backoff", from: &arguments) { text throws(DeclarationLineError) in
            try Self.duration(text)
        }
        backoffMultiplier = try Self.take("backoff_multiplier", from: &arguments) { text throws(DeclarationLineError) in
            try Self.number(text, in: 1...100)
        }
        maxBackoff = try Self.take("max_backoff", from: &arguments) { text throws(DeclarationLineError) in
            try Self.duration(text)
        }
        jitter = try Self.take("jitter", from: &arguments) { text throws(DeclarationLineError) in
            try Self.number(text, in: 0...1)
        }
        nonRetryableCodes = try Self.take("no_retry", from: &arguments) { text throws(DeclarationLineError) in
            try Self.codes(text)
        }
        timeout = try Self.take("timeout", from: &arguments) { text throws(DeclarationLineError) in
            try Self.positiveDuration(text)
        }
        deadline = try Self.take("deadline", from: &arguments) { text throws(DeclarationLineError) in
            try Self.positiveDuration(text)
        }
    }

    /// `policy` with the values this line sets replacing its own.
    ///
    /// - Throws: ``DeclarationLineError`` when the resulting `max_backoff` is shorter than its
    ///   `backoff` (the policy would clamp it silently).
    func applied(to policy: RetryPolicy) throws(DeclarationLineError) -> RetryPolicy {
        let initialBackoff = backoff ?? policy.initialBackoff
        let longest = maxBackoff ?? policy.maxBackoff
        guard longest >= initialBackoff else {
            throw DeclarationLineError(
                reason: "max_backoff \(longest.configurationText) is shorter than backoff \(initialBackoff.configurationText)"
            )
        }
        return RetryPolicy(
            maxAttempts: retries.map { $0 + 1 } ?? policy.maxAttempts,
            initialBackoff: initialBackoff,
            backoffMultiplier: backoffMultiplier ?? policy.backoffMultiplier,
            maxBackoff: longest,
            jitter: jitter ?? policy.jitter,
            nonRetryableCodes: nonRetryableCodes ?? policy.nonRetryableCodes
        )
    }

    /// The value of `key` parsed by `parse`, removed from `arguments`; `nil` when absent.
    static func take<Value>(
        _ key: String,
        from arguments: inout [String: String],
        _ parse: (String) throws(DeclarationLineError) -> Value
    ) throws(DeclarationLineError) -> Value? {
        guard let text = arguments.removeValue(forKey: key) else { return nil }
        do {
            return try parse(text)
        } catch {
            throw DeclarationLineError(reason: "\(key)=\(text): \(error.reason)")
        }
    }

    /// A whole number with a unit: `ms`, `s`, `m` or `h`.
    private static func duration(_ text: String) throws(DeclarationLineError) -> Duration {
        let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, unit.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw DeclarationLineError(reason: "expected a whole number with a unit, e.g. 250ms, 30s, 10m, 1h")
        }
        guard !unit.isEmpty else {
            throw DeclarationLineError(reason: "a duration needs a unit: ms, s, m or h, e.g. \(digits)s")
        }
        guard let scale = units.first(where: { $0.suffix == unit })?.milliseconds else {
            throw DeclarationLineError(reason: "unknown unit \"\(unit)\"; durations take ms, s, m or h, e.g. 250ms, 30s, 10m, 1h")
        }
        guard let count = Int64(digits), case (let milliseconds, false) = count.multipliedReportingOverflow(by: scale) else {
            throw DeclarationLineError(reason: "is too long")
        }
        return .milliseconds(milliseconds)
    }

    /// A ``duration(_:)`` longer than zero.
    static func positiveDuration(_ text: String) throws(DeclarationLineError) -> Duration {
        let value = try duration(text)
        guard value > .zero else {
            throw DeclarationLineError(reason: "must be longer than 0")
        }
        return value
    }

    /// A number from `range.lowerBound` to `range.upperBound`, fractions allowed.
    private static func number(_ text: String, in range: ClosedRange<Int>) throws(DeclarationLineError) -> Double {
        guard let value = Double(text), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw DeclarationLineError(reason: "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Comma-separated UPPER_SNAKE_CASE codes (blanks around them ignored); an empty text is
    /// no code.
    private static func codes(_ text: String) throws(DeclarationLineError) -> Set<JobErrorCode> {
        var codes: Set<JobErrorCode> = []
        guard !text[...].trimmingBlanks().isEmpty else { return codes }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let code = part.trimmingBlanks()
            guard code.wholeMatch(of: /[A-Z][A-Z0-9_]*/) != nil else {
                throw DeclarationLineError(reason: "\"\(code)\" is not an error code: codes are UPPER_SNAKE_CASE, comma-separated, e.g. TIMEOUT,VALIDATION")
            }
            codes.insert(JobErrorCode(String(code)))
        }
        return codes
    }
}
