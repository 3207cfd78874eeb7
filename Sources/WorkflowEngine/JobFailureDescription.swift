/// What the engine records of an error that ended an attempt.
public struct JobFailureDescription: Sendable, Hashable {
    /// The error's text.
    public var message: String
    /// The error's code; see ``JobFailure/code``.
    public var code: JobErrorCode
    /// Where it happened.
    public var stack: String
    /// Whether a retry could succeed; see ``JobFailure/isRetryable``.
    public var isRetryable: Bool

    /// Creates a description.
    public init(message: String, code: JobErrorCode, stack: String, isRetryable: Bool) {
        self.message = message
        self.code = code
        self.stack = stack
        self.isRetryable = isRetryable
    }

    /// An attempt cut off by something other than its job (a stop of the server, a worker that
    /// handed it back or lost it): code `INTERRUPTED`, retryable.
    static func interruption(_ message: String, stack: String) -> JobFailureDescription {
        JobFailureDescription(message: message, code: .interrupted, stack: stack, isRetryable: true)
    }

    /// Describes any error a job function threw. An ``EngineError`` (a job misusing its
    /// context, such as a progress outside 0...1) is a bug no retry fixes: not retryable.
    public init(_ error: any Error) {
        if let engineError = error as? EngineError {
            self.init(
                message: engineError.message,
                code: engineError.code == .invalidArgument ? .invalidArgument : .engineError,
                stack: "EngineError: \(engineError.message)", isRetryable: false
            )
        } else if let failure = error as? any JobFailure {
            self.init(message: String(describing: error), code: failure.code, stack: failure.stack, isRetryable: failure.isRetryable)
        } else {
            self.init(
                message: String(describing: error),
                code: .error,
                stack: "\(String(reflecting: type(of: error))): \(String(reflecting: error))",
                isRetryable: true
            )
        }
    }
}
