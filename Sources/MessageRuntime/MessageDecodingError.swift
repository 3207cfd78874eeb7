/// Bytes that are not a valid protobuf encoding of the expected message.
///
/// protoc-c reports every wire-format failure the same way (truncated or overlong varint, wrong
/// wire type for a known field, a length running past the end, or running out of memory), so the
/// error names the message and the input size rather than a byte offset. A string field whose
/// bytes are not UTF-8, which proto3 forbids, is named (``invalidUTF8Field``). A server answers a
/// request that fails to decode with `INVALID_ARGUMENT`, naming the message and that field.
public struct MessageDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The fully qualified proto name of the message that failed, e.g. `"workflow.v1.Workflow"`.
    public var messageName: String

    /// The number of bytes that failed to decode.
    public var byteCount: Int

    /// The string field, fully qualified (e.g. `"workflow.v1.EntityRef.tag"`), whose bytes are
    /// not valid UTF-8; `nil` when the bytes are not a protobuf encoding at all.
    public var invalidUTF8Field: String?

    /// Creates an error for `byteCount` bytes that did not decode as `messageName`.
    ///
    /// - Parameters:
    ///   - messageName: The fully qualified proto name of the expected message.
    ///   - byteCount: The size of the rejected input.
    ///   - invalidUTF8Field: The string field that is not UTF-8, if that is what is wrong.
    public init(messageName: String, byteCount: Int, invalidUTF8Field: String? = nil) {
        self.messageName = messageName
        self.byteCount = byteCount
        self.invalidUTF8Field = invalidUTF8Field
    }

    /// A one-line explanation, e.g. "invalid workflow.v1.Workflow: 12 bytes are not a valid
    /// protobuf encoding of it", or "invalid workflow.v1.Step: workflow.v1.EntityRef.tag is not
    /// valid UTF-8".
    public var description: String {
        if let invalidUTF8Field {
            return "invalid \(messageName): \(invalidUTF8Field) is not valid UTF-8"
        }
        return "invalid \(messageName): \(byteCount) bytes are not a valid protobuf encoding of it"
    }
}
