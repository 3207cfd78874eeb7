/// The parts of `google/protobuf/descriptor.proto` the generator reads, as plain values.
///
/// Built by ``DescriptorSetParser`` from the `FileDescriptorSet` that
/// `protoc --descriptor_set_out --include_source_info` writes.
public struct FileDescriptor: Sendable, Equatable {
    /// The file's path as protoc saw it, e.g. `"workflow/v1/workflow.proto"`.
    public var name = ""
    /// The proto package, e.g. `"workflow.v1"`.
    public var package = ""
    /// `"proto3"`, or empty for proto2.
    public var syntax = ""
    /// Top-level messages in declaration order.
    public var messages: [MessageDescriptor] = []
    /// Top-level enums in declaration order.
    public var enums: [EnumDescriptor] = []
    /// Services in declaration order.
    public var services: [ServiceDescriptorProto] = []
}

/// A message type (`DescriptorProto`).
public struct MessageDescriptor: Sendable, Equatable {
    /// The simple name, e.g. `"LogEvent"`.
    public var name = ""
    /// The fully qualified name, e.g. `"workflow.v1.LogEvent"`; set by the parser.
    public var fullName = ""
    /// Fields in declaration order.
    public var fields: [FieldDescriptor] = []
    /// Nested messages (map entries among them).
    public var nestedMessages: [MessageDescriptor] = []
    /// Nested enums.
    public var nestedEnums: [EnumDescriptor] = []
    /// Names of the `oneof` groups, indexed by ``FieldDescriptor/oneofIndex``.
    public var oneofNames: [String] = []
    /// Comments of the `oneof` groups, by index.
    public var oneofComments: [String] = []
    /// Whether this is the synthetic entry message of a `map<K, V>` field.
    public var isMapEntry = false
    /// The comment before the declaration.
    public var comment = ""
}

/// A field (`FieldDescriptorProto`).
public struct FieldDescriptor: Sendable, Equatable {
    /// The wire types of `FieldDescriptorProto.Type`, by number.
    public enum Kind: Int, Sendable {
        case double = 1, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes, uint32, enumeration, sfixed32, sfixed64, sint32, sint64
    }

    /// The name in the `.proto`, e.g. `"workflow_id"`.
    public var name = ""
    /// The field number.
    public var number: Int32 = 0
    /// Whether the label is `repeated`.
    public var isRepeated = false
    /// The wire type.
    public var kind: Kind = .int32
    /// For messages and enums: the fully qualified type name with a leading dot.
    public var typeName = ""
    /// The index into ``MessageDescriptor/oneofNames`` for a member of a `oneof`.
    public var oneofIndex: Int?
    /// Whether the field is declared `optional` in proto3 (explicit presence).
    public var isProto3Optional = false
    /// The comment before the declaration, or after it on the same line.
    public var comment = ""
}

/// An enum (`EnumDescriptorProto`).
public struct EnumDescriptor: Sendable, Equatable {
    /// The simple name, e.g. `"JobStatus"`.
    public var name = ""
    /// The fully qualified name; set by the parser.
    public var fullName = ""
    /// Values in declaration order.
    public var values: [EnumValueDescriptor] = []
    /// The comment before the declaration.
    public var comment = ""
}

/// One value of an enum.
public struct EnumValueDescriptor: Sendable, Equatable {
    /// The name in the `.proto`, e.g. `"JOB_STATUS_PENDING"`.
    public var name = ""
    /// The number on the wire.
    public var number: Int32 = 0
    /// The comment before the declaration, or after it on the same line.
    public var comment = ""
}

/// A service (`ServiceDescriptorProto`).
public struct ServiceDescriptorProto: Sendable, Equatable {
    /// The simple name, e.g. `"WorkflowService"`.
    public var name = ""
    /// Methods in declaration order.
    public var methods: [MethodDescriptorProto] = []
    /// The comment before the declaration.
    public var comment = ""
}

/// A method (`MethodDescriptorProto`).
public struct MethodDescriptorProto: Sendable, Equatable {
    /// The method name, e.g. `"WatchLogs"`.
    public var name = ""
    /// The request type, fully qualified with a leading dot.
    public var inputType = ""
    /// The response type, fully qualified with a leading dot.
    public var outputType = ""
    /// Whether requests are a stream.
    public var clientStreaming = false
    /// Whether responses are a stream.
    public var serverStreaming = false
    /// The comment before the declaration.
    public var comment = ""
}
