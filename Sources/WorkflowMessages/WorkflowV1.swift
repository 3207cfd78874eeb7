@_exported import MessageRuntime

/// Swift value types for the messages, enums and service of `workflow.v1`
/// (Protos/workflow/v1/workflow.proto), generated into `Generated/` by Scripts/generate-protos.sh.
///
/// The prefix keeps the wire types apart from the domain model of the same names. Every message
/// is a ``ProtoMessage``: a plain `Sendable`, `Hashable` value with a memberwise initializer
/// whose defaults are the proto3 defaults, decoded from and encoded to the protobuf binary
/// format by the protoc-c code in `CWorkflowProtos` (which never appears in this API). Every
/// enum is a ``ProtoEnum``; ``WorkflowService`` names each RPC method.
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
/// (`"\0"`) is lost in both directions. A string field that is not valid UTF-8 fails to decode,
/// as proto3 requires (``MessageDecodingError/invalidUTF8Field`` names it).
public enum WorkflowV1 {}
