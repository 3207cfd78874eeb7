/// The parts of `google/protobuf/descriptor.proto` the generator reads, as plain values.
///
/// Built by ``DescriptorSetParser`` from the `FileDescriptorSet` that
/// `protoc --descriptor_set_out --include_source_info` writes.
package struct FileDescriptor: Sendable, Equatable {
    /// The file's path as protoc saw it, e.g. `"workflow/v1/workflow.proto"`.
    package var name = ""
    /// The proto package, e.g. `"workflow.v1"`.
    package var package = ""
    /// `"proto3"`, or empty for proto2.
    package var syntax = ""
    /// Top-level messages in declaration order.
    package var messages: [MessageDescriptor] = []
    /// Top-level enums in declaration order.
    package var enums: [EnumDescriptor] = []
    /// Services in declaration order.
    package var services: [ServiceDescriptorProto] = []
}

/// A message type (`DescriptorProto`).
package struct MessageDescriptor: Sendable, Equatable {
    /// The simple name, e.g. `"LogEvent"`.
    package var name = ""
    /// The fully qualified name, e.g. `"workflow.v1.LogEvent"`; set by the parser.
    package var fullName = ""
    /// Fields in declaration order.
    package var fields: [FieldDescriptor] = []
    /// Nested messages (map entries among them).
    package var nestedMessages: [MessageDescriptor] = []
    /// Nested enums.
    package var nestedEnums: [EnumDescriptor] = []
    /// Names of the `oneof` groups, indexed by ``FieldDescriptor/oneofIndex``.
    package var oneofNames: [String] = []
    /// Comments of the `oneof` groups, by index.
    package var oneofComments: [String] = []
    /// Whether this is the synthetic entry message of a `map<K, V>` field.
    package var isMapEntry = false
    /// The comment before the declaration.
    package var comment = ""
}

/// A field (`FieldDescriptorProto`).
package struct FieldDescriptor: Sendable, Equatable {
    /// The wire types of `FieldDescriptorProto.Type`, by number.
    package enum Kind: Int, Sendable {
        case double = 1, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes, uint32, enumeration, sfixed32, sfixed64, sint32, sint64
    }

    /// The name in the `.proto`, e.g. `"workflow_id"`.
    package var name = ""
    /// The field number.
    package var number: Int32 = 0
    /// Whether the label is `repeated`.
    package var isRepeated = false
    /// The wire type.
    package var kind: Kind = .int32
    /// For messages and enums: the fully qualified type name with a leading dot.
    package var typeName = ""
    /// The index into ``MessageDescriptor/oneofNames`` for a member of a `oneof`.
    package var oneofIndex: Int?
    /// Whether the field is declared `optional` in proto3 (explicit presence).
    package var isProto3Optional = false
    /// The comment before the declaration, or after it on the same line.
    package var comment = ""
}

/// An enum (`EnumDescriptorProto`).
package struct EnumDescriptor: Sendable, Equatable {
    /// The simple name, e.g. `"JobStatus"`.
    package var name = ""
    /// The fully qualified name; set by the parser.
    package var fullName = ""
    /// Values in declaration order.
    package var values: [EnumValueDescriptor] = []
    /// The comment before the declaration.
    package var comment = ""
}

/// One value of an enum.
package struct EnumValueDescriptor: Sendable, Equatable {
    /// The name in the `.proto`, e.g. `"JOB_STATUS_PENDING"`.
    package var name = ""
    /// The number on the wire.
    package var number: Int32 = 0
    /// The comment before the declaration, or after it on the same line.
    package var comment = ""
}

/// A service (`ServiceDescriptorProto`).
package struct ServiceDescriptorProto: Sendable, Equatable {
    /// The simple name, e.g. `"WorkflowService"`.
    package var name = ""
    /// Methods in declaration order.
    package var methods: [MethodDescriptorProto] = []
    /// The comment before the declaration.
    package var comment = ""
}

/// A method (`MethodDescriptorProto`).
package struct MethodDescriptorProto: Sendable, Equatable {
    /// The method name, e.g. `"WatchLogs"`.
    package var name = ""
    /// The request type, fully qualified with a leading dot.
    package var inputType = ""
    /// The response type, fully qualified with a leading dot.
    package var outputType = ""
    /// Whether requests are a stream.
    package var clientStreaming = false
    /// Whether responses are a stream.
    package var serverStreaming = false
    /// The comment before the declaration.
    package var comment = ""
}
