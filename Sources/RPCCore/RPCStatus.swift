/// The outcome of an RPC: a status code and a human-readable message.
///
/// A server ends every call with a status, sent in the `grpc-status` and `grpc-message`
/// trailers. ``RPCStatus`` is also the error type of this module: any status other than
/// ``ok`` can be thrown to end a call with that status.
///
/// ```swift
/// throw RPCStatus(code: .notFound, message: "no workflow with id \(id)")
/// ```
package struct RPCStatus: Error, Hashable, Sendable {
    /// The status code, sent as the decimal `grpc-status` trailer.
    package var code: Code

    /// A description of the outcome for developers, sent percent-encoded as `grpc-message`.
    ///
    /// Empty messages are not sent at all.
    package var message: String

    /// Creates a status.
    ///
    /// - Parameters:
    ///   - code: The status code.
    ///   - message: Additional context for developers; empty by default.
    @inlinable
    package init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    /// The status of a call that succeeded: code ``Code/ok`` and an empty message.
    package static let ok = RPCStatus(code: .ok)
}

extension RPCStatus: CustomStringConvertible {
    /// The code's canonical name followed by the message, such as `NOT_FOUND: no such workflow`.
    package var description: String {
        message.isEmpty ? code.description : "\(code): \(message)"
    }
}
