import WorkflowEngine

extension JobError {
    /// The code of a job that fails because its input is invalid: a malformed file, a rules
    /// file with errors, a bad or missing parameter. Such an error is thrown as not retryable,
    /// and the product retry policy never retries the code either: the same input fails again.
    static let validationCode = "VALIDATION"
}
