/// An error a job function can throw to control what the failed job records.
///
/// The engine records a failed job's error as `String(describing: error)` and, for errors
/// conforming to this protocol, ``stack`` as its stack. For any other error the stack is the
/// error's type and `String(reflecting:)` of the error.
public protocol JobFailure: Error {
    /// A trace of where the job failed, recorded as the job's stack.
    var stack: String { get }
}
