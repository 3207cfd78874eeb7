/// The kind of error that ended an attempt of a job, such as ``timeout`` or a job's own
/// `VALIDATION`: what a ``RetryPolicy`` can refuse to retry, and what a console can group by.
///
/// The engine's own codes are constants here; a job names its own with a string literal or
/// ``init(_:)``, and a library may add constants in an extension. Codes are compared by their
/// text, which is what the API reports (`JobAttempt.error_code`).
///
/// ```swift
/// extension JobErrorCode {
///     static let validation = JobErrorCode("VALIDATION")
/// }
/// throw JobError("Invalid schema for P-101", code: .validation, isRetryable: false)
/// let policy = RetryPolicy(maxAttempts: 3, nonRetryableCodes: [.validation, .timeout])
/// ```
public struct JobErrorCode: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The code's text, e.g. `TIMEOUT`.
    public let rawValue: String

    /// A code with the text `rawValue`; by convention UPPER_SNAKE_CASE.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A code written as a string literal.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// An error that gives no code of its own.
    public static let error = JobErrorCode("ERROR")

    /// The attempt ran longer than its job's start-to-close timeout, or did not return within
    /// its grace after it was asked to stop.
    public static let timeout = JobErrorCode("TIMEOUT")

    /// The workflow's deadline passed while it was at this job; never retried.
    public static let deadlineExceeded = JobErrorCode("DEADLINE_EXCEEDED")

    /// The server stopped (a shutdown, a crash or a kill) while the attempt ran.
    public static let interrupted = JobErrorCode("INTERRUPTED")

    /// The job misused its context, e.g. a progress outside 0...1; never retried.
    public static let invalidArgument = JobErrorCode("INVALID_ARGUMENT")

    /// The job failed with another engine error; never retried.
    public static let engineError = JobErrorCode("ENGINE_ERROR")

    /// The ``rawValue``.
    public var description: String { rawValue }
}
