import WorkflowEngine

extension JobError {
    /// The code of a job that fails because its input is invalid: a malformed file, a rules
    /// file with errors, a bad or missing parameter. Such an error is thrown as not retryable,
    /// and the product retry policy never retries the code either: the same input fails again.
    static let validationCode = "VALIDATION"

    /// The code of a job that fails because a file cannot be read or written (missing,
    /// unreadable, a full disk). Retryable: the file may appear or the disk free up.
    static let ioCode = "IO"

    /// The code of a job whose template names a function the catalog does not have; not
    /// retryable.
    static let configurationCode = "CONFIGURATION"

    /// An error about invalid input: code ``validationCode``, not retryable.
    static func invalidInput(
        _ message: String,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) -> JobError {
        JobError(message, code: validationCode, isRetryable: false, fileID: fileID, line: line, function: function)
    }

    /// An error reading or writing a file: code ``ioCode``, retryable.
    static func io(
        _ message: String,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) -> JobError {
        JobError(message, code: ioCode, isRetryable: true, fileID: fileID, line: line, function: function)
    }
}
