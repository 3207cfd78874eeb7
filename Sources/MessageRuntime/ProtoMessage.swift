/// A protobuf message as a Swift value: decoded from and encoded to the protobuf binary format.
///
/// Every generated message type conforms (see `Scripts/generate-protos.sh`): a plain
/// `Sendable`, `Hashable` value with a memberwise initializer whose defaults are the proto3
/// defaults. Decoding skips unknown fields (they are not kept for re-encoding) and keeps unknown
/// enum values. Encoding writes map entries sorted by key, so equal values always produce equal
/// bytes.
///
/// ```swift
/// let request = WorkflowV1.GetWorkflowRequest(workflowID: "wf-1")
/// let bytes = request.serializedBytes()
/// let decoded = try WorkflowV1.GetWorkflowRequest(serializedBytes: bytes)
/// assert(decoded == request)
/// ```
public protocol ProtoMessage: Sendable, Hashable, ProtoJSONCodable {
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

extension ProtoMessage {
    /// Decodes a message from any collection of bytes (`[UInt8]`, `ArraySlice`, `Data`, ...).
    ///
    /// Contiguous collections are read in place; others are copied into an array first.
    ///
    /// - Parameter bytes: The encoded message.
    /// - Throws: ``MessageDecodingError`` if `bytes` is not a valid encoding of this message.
    @inlinable
    public init(serializedBytes bytes: some Collection<UInt8>) throws(MessageDecodingError) {
        let decoded = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(MessageDecodingError) -> Self in
                try Self(serializedBytes: UnsafeRawBufferPointer(buffer))
            }
        }
        // Consumed, so the message moves out; binding `decoded` and calling `get()` copied it
        // (each of its references retained), then destroyed the original.
        switch consume decoded {
        case .some(.success(let message)):
            self = message
        case .some(.failure(let error)):
            throw error
        case .none:
            self = try Array(bytes).withUnsafeBytes { buffer in
                Result { () throws(MessageDecodingError) -> Self in try Self(serializedBytes: buffer) }
            }.get()
        }
    }
}

/// A protobuf enum as a Swift value: a struct wrapping the wire value rather than a Swift enum,
/// so a value this build does not know (sent by a newer peer) decodes, compares and re-encodes
/// unchanged. Switch over the known constants with a `default:` branch.
public protocol ProtoEnum: RawRepresentable<Int32>, Hashable, Sendable, CustomStringConvertible, ProtoJSONCodable {
    /// The value on the wire.
    var rawValue: Int32 { get set }

    /// Wraps any wire value, known to this build or not.
    init(rawValue: Int32)

    /// The proto name of each value this build knows, e.g. `[1: "JOB_STATUS_PENDING"]`.
    static var protoNames: [Int32: String] { get }
}

extension ProtoEnum {
    /// The proto name, e.g. `"JOB_STATUS_PENDING"`, or the bare number for a value this build
    /// does not know.
    public var description: String {
        Self.protoNames[rawValue] ?? String(rawValue)
    }
}
