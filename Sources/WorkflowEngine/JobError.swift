/// A ready-made ``JobFailure`` carrying a message and the place it was thrown.
///
/// ```swift
/// guard schema.isValid else {
///     throw JobError("Invalid schema for P-101")
/// }
/// ```
public struct JobError: JobFailure, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. "Invalid schema for P-101".
    public var message: String
    /// Where it went wrong.
    public var stack: String

    /// Creates an error whose stack is the caller's function, file and line.
    ///
    /// - Parameters:
    ///   - message: What went wrong; becomes the job's and the workflow's error.
    ///   - fileID: Where it is thrown; leave the default.
    ///   - line: Where it is thrown; leave the default.
    ///   - function: Where it is thrown; leave the default.
    public init(
        _ message: String,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) {
        self.message = message
        self.stack = "JobError thrown in \(function) at \(fileID):\(line)"
    }

    /// Creates an error with an explicit stack.
    public init(message: String, stack: String) {
        self.message = message
        self.stack = stack
    }

    /// The ``message``.
    public var description: String { message }
}
