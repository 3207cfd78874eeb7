/// A ready-made ``JobFailure`` carrying a message, the place it was thrown, a code, and whether
/// a retry could succeed.
///
/// ```swift
/// guard schema.isValid else {
///     throw JobError("Invalid schema for P-101", code: "VALIDATION", isRetryable: false)
/// }
/// ```
public struct JobError: JobFailure, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. "Invalid schema for P-101".
    public var message: String
    /// Where it went wrong.
    public var stack: String
    /// The kind of error; see ``JobFailure/code``.
    public var code: JobErrorCode
    /// Whether running the job again could succeed; see ``JobFailure/isRetryable``.
    public var isRetryable: Bool

    /// Creates an error whose stack is the caller's function, file and line.
    ///
    /// - Parameters:
    ///   - message: What went wrong; becomes the job's and the workflow's error.
    ///   - code: The kind of error; ``JobErrorCode/error`` by default.
    ///   - isRetryable: Whether a retry could succeed; `false` fails the job at once.
    ///   - fileID: Where it is thrown; leave the default.
    ///   - line: Where it is thrown; leave the default.
    ///   - function: Where it is thrown; leave the default.
    public init(
        _ message: String,
        code: JobErrorCode = .error,
        isRetryable: Bool = true,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) {
        self.message = message
        self.stack = "JobError thrown in \(function) at \(fileID):\(line)"
        self.code = code
        self.isRetryable = isRetryable
    }

    /// Creates an error with an explicit stack.
    public init(message: String, stack: String, code: JobErrorCode = .error, isRetryable: Bool = true) {
        self.message = message
        self.stack = stack
        self.code = code
        self.isRetryable = isRetryable
    }

    /// The ``message``.
    public var description: String { message }
}
