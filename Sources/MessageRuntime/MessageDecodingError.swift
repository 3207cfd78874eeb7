/// Bytes that are not a valid protobuf encoding of the expected message.
///
/// protoc-c reports every decoding failure the same way (truncated or overlong varint, wrong
/// wire type for a known field, a length running past the end, or running out of memory), so the
/// error names the message and the input size rather than a byte offset. A server answers a
/// request that fails to decode with `INVALID_ARGUMENT` (or `INTERNAL`), naming the message.
public struct MessageDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The fully qualified proto name of the message that failed, e.g. `"workflow.v1.Workflow"`.
    public var messageName: String

    /// The number of bytes that failed to decode.
    public var byteCount: Int

    /// Creates an error for `byteCount` bytes that did not decode as `messageName`.
    ///
    /// - Parameters:
    ///   - messageName: The fully qualified proto name of the expected message.
    ///   - byteCount: The size of the rejected input.
    public init(messageName: String, byteCount: Int) {
        self.messageName = messageName
        self.byteCount = byteCount
    }

    /// A one-line explanation, e.g. "invalid workflow.v1.Workflow: 12 bytes are not a valid
    /// protobuf encoding of it".
    public var description: String {
        "invalid \(messageName): \(byteCount) bytes are not a valid protobuf encoding of it"
    }
}
