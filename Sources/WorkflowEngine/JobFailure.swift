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
    var code: JobErrorCode { get }
    /// Whether running the job again could succeed; `false` fails the job at once whatever
    /// its retry policy (a validation failure, a missing required input). `true` unless the
    /// error says otherwise.
    var isRetryable: Bool { get }
}

extension JobFailure {
    /// ``JobErrorCode/error``.
    public var code: JobErrorCode { .error }
    /// `true`.
    public var isRetryable: Bool { true }
}
