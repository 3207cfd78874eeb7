import ArgumentParser
import WorkflowCLI

/// Runs `check`; a ``CommandFailure`` it throws becomes the `ValidationError` that
/// argument-parser prints with the command's usage (exit 64).
///
/// - Parameter check: Parses or checks option values with the library's rules.
/// - Returns: What `check` returns.
/// - Throws: `ValidationError` with the failure's message.
func validating<Result>(_ check: () throws(CommandFailure) -> Result) throws(ValidationError) -> Result {
    do {
        return try check()
    } catch {
        throw ValidationError(error.message)
    }
}
