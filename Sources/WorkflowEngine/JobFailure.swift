/// An error a job function can throw to control what the failed attempt records and whether
/// the job runs again.
///
/// The engine records a failed attempt's error as `String(describing: error)` and, for errors
/// conforming to this protocol, ``stack`` as its stack, ``code`` as its code and
/// ``isRetryable`` to decide on a retry. Any other error is retryable, has the code `ERROR`,
/// and its stack is the error's type and `String(reflecting:)` of the error.
public protocol JobFailure: Error {
    /// A trace of where the job failed, recorded as the job's stack.
    var stack: String { get }
    /// The kind of error, e.g. `TIMEOUT` or `VALIDATION`; a ``RetryPolicy`` can refuse to
    /// retry some codes. `ERROR` unless the error says otherwise.
    var code: String { get }
    /// Whether running the job again could succeed; `false` fails the job at once whatever
    /// its retry policy (a validation failure, a missing required input). `true` unless the
    /// error says otherwise.
    var isRetryable: Bool { get }
}

extension JobFailure {
    /// `ERROR`.
    public var code: String { JobFailureDescription.defaultCode }
    /// `true`.
    public var isRetryable: Bool { true }
}

/// What the engine records of an error that ended an attempt.
public struct JobFailureDescription: Sendable, Hashable {
    /// The code of errors that do not give one.
    public static let defaultCode = "ERROR"

    /// The error's text.
    public var message: String
    /// The error's code; see ``JobFailure/code``.
    public var code: String
    /// Where it happened.
    public var stack: String
    /// Whether a retry could succeed; see ``JobFailure/isRetryable``.
    public var isRetryable: Bool

    /// Creates a description.
    public init(message: String, code: String, stack: String, isRetryable: Bool) {
        self.message = message
        self.code = code
        self.stack = stack
        self.isRetryable = isRetryable
    }

    /// Describes any error a job function threw. An ``EngineError`` (a job misusing its
    /// context, such as a progress outside 0...1) is a bug no retry fixes: not retryable.
    public init(_ error: any Error) {
        if let engineError = error as? EngineError {
            self.init(
                message: engineError.message,
                code: engineError.code == .invalidArgument ? "INVALID_ARGUMENT" : "ENGINE_ERROR",
                stack: "EngineError: \(engineError.message)", isRetryable: false
            )
        } else if let failure = error as? any JobFailure {
            self.init(message: String(describing: error), code: failure.code, stack: failure.stack, isRetryable: failure.isRetryable)
        } else {
            self.init(
                message: String(describing: error),
                code: Self.defaultCode,
                stack: "\(String(reflecting: type(of: error))): \(String(reflecting: error))",
                isRetryable: true
            )
        }
    }
}
