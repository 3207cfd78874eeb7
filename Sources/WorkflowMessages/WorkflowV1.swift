/// Swift value types for the messages and enums of `workflow.v1` (Protos/workflow/v1/workflow.proto).
///
/// The prefix keeps the wire types apart from the domain model of the same names. Every message
/// conforms to ``WorkflowV1/Message``: a plain `Sendable`, `Hashable` value with a memberwise
/// initializer whose defaults are the proto3 defaults, decoded from and encoded to the protobuf
/// binary format by the protoc-c code in `CWorkflowProtos` (which never appears in this API).
///
/// ```swift
/// let request = WorkflowV1.StartWorkflowRequest(
///     type: "IMPORT_ASSETS", params: ["file_path": "/data/assets.csv"], userID: "u-1")
/// let bytes = request.serializedBytes()
/// let decoded = try WorkflowV1.StartWorkflowRequest(serializedBytes: bytes)
/// assert(decoded == request)
/// ```
///
/// Strings travel as C strings through protoc-c: text after an embedded NUL character
/// (`"\0"`) is lost in both directions, and invalid UTF-8 received from a peer is repaired with
/// U+FFFD rather than rejected.
public enum WorkflowV1 {}

extension WorkflowV1 {
    /// A `workflow.v1` message: a value that decodes from and encodes to protobuf binary bytes.
    ///
    /// Decoding skips unknown fields (they are not kept for re-encoding) and keeps unknown enum
    /// values. Encoding writes map entries sorted by key, so equal values always produce equal
    /// bytes.
    public protocol Message: Sendable, Hashable {
        /// The fully qualified proto name, e.g. `"workflow.v1.Workflow"`.
        static var protoMessageName: String { get }

        /// Decodes a message from protobuf binary bytes without copying them first.
        ///
        /// - Parameter bytes: The encoded message (for gRPC, the payload after the 5-byte prefix).
        /// - Throws: ``MessageDecodingError`` if `bytes` is not a valid encoding of this message.
        init(serializedBytes bytes: UnsafeRawBufferPointer) throws(MessageDecodingError)

        /// Encodes the message into a new array of exactly the encoded size.
        ///
        /// - Returns: The protobuf binary encoding.
        func serializedBytes() -> [UInt8]

        /// Appends the protobuf binary encoding to `bytes`, e.g. after a gRPC length prefix.
        ///
        /// - Parameter bytes: The array to grow; its existing contents are kept.
        func serialize(appendingTo bytes: inout [UInt8])
    }
}

extension WorkflowV1.Message {
    /// Decodes a message from any collection of bytes (`[UInt8]`, `ArraySlice`, `Data`, ...).
    ///
    /// Contiguous collections are read in place; others are copied into an array first.
    ///
    /// - Parameter bytes: The encoded message.
    /// - Throws: ``MessageDecodingError`` if `bytes` is not a valid encoding of this message.
    public init(serializedBytes bytes: some Collection<UInt8>) throws(MessageDecodingError) {
        let decoded = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(MessageDecodingError) -> Self in
                try Self(serializedBytes: UnsafeRawBufferPointer(buffer))
            }
        }
        if let decoded {
            self = try decoded.get()
        } else {
            self = try Array(bytes).withUnsafeBytes { buffer in
                Result { () throws(MessageDecodingError) -> Self in try Self(serializedBytes: buffer) }
            }.get()
        }
    }
}
