import WorkflowEngine

extension JobError {
    /// An error about invalid input: code ``JobErrorCode/validation``, not retryable.
    static func invalidInput(
        _ message: String,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) -> JobError {
        JobError(message, code: .validation, isRetryable: false, fileID: fileID, line: line, function: function)
    }

    /// An error reading or writing a file: code ``JobErrorCode/io``, retryable.
    static func io(
        _ message: String,
        fileID: String = #fileID,
        line: Int = #line,
        function: String = #function
    ) -> JobError {
        JobError(message, code: .io, isRetryable: true, fileID: fileID, line: line, function: function)
    }
}
