import WorkflowEngine

extension JobErrorCode {
    /// The code of a job that fails because its input is invalid: a malformed file, a rules
    /// file with errors, a bad or missing parameter. Such an error is thrown as not retryable,
    /// and the product retry policy never retries the code either: the same input fails again.
    static let validation = JobErrorCode("VALIDATION")

    /// The code of a job that fails because a file cannot be read or written (missing,
    /// unreadable, a full disk). Retryable: the file may appear or the disk free up.
    static let io = JobErrorCode("IO")

    /// The code of a job whose template names a function the catalog does not have; not
    /// retryable.
    static let configuration = JobErrorCode("CONFIGURATION")
}
