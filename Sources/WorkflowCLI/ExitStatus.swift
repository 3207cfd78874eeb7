import WorkflowMessages

/// The process exit status of `workflowctl`: what a shell script or CI job branches on.
///
/// A struct wrapping a private enum, so codes can be added without breaking callers that
/// `switch` over them. The workflow outcomes are small numbers a script can test directly;
/// usage errors use `EX_USAGE` (64), as swift-argument-parser does for its own parse errors.
///
/// ```swift
/// let status = ExitStatus(finalStatus: workflow.status) ?? .serverError
/// exit(status.code)
/// ```
package struct ExitStatus: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Int32, Hashable, Sendable {
        case success = 0
        case failed = 1
        case cancelled = 2
        case serverError = 3
        case unreachable = 4
        case usage = 64
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    /// The number passed to `exit`.
    package var code: Int32 { wrapped.rawValue }

    /// 0: the command did what was asked; for a followed or watched workflow, it COMPLETED.
    package static let success = ExitStatus(.success)

    /// 1: the followed or watched workflow ended FAILED.
    package static let failed = ExitStatus(.failed)

    /// 2: the followed or watched workflow ended CANCELLED.
    package static let cancelled = ExitStatus(.cancelled)

    /// 3: the server answered the call with an error status (unknown workflow, invalid
    /// request, a watch position out of range, …). Retrying the same command will not help.
    package static let serverError = ExitStatus(.serverError)

    /// 4: the server could not be reached, or the connection was lost and not regained in
    /// time. Retrying once the server is up may help.
    package static let unreachable = ExitStatus(.unreachable)

    /// 64 (`EX_USAGE`): the command line was wrong (an unknown flag, a malformed `--param`,
    /// a bad `--address`).
    package static let usage = ExitStatus(.usage)

    /// The status for a workflow that ended in `finalStatus`: COMPLETED → ``success``,
    /// FAILED → ``failed``, CANCELLED → ``cancelled``.
    ///
    /// - Parameter finalStatus: The workflow's status.
    /// - Returns: `nil` when the workflow has not ended (RUNNING) or the status is unknown.
    package init?(finalStatus: WorkflowV1.WorkflowStatus) {
        switch finalStatus {
        case .completed: self = .success
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        default: return nil
        }
    }

    /// The name and code, such as `failed (1)`.
    package var description: String {
        "\(wrapped) (\(code))"
    }
}
