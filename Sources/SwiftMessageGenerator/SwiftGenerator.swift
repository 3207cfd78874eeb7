/// Writes the Swift value types over protoc-c's structs for one `.proto` file: a struct per
/// message, a struct per enum, the glue that copies between them and C (``CMessageCodec``), and
/// a ``MethodDescriptor`` per RPC method.
///
/// ```swift
/// let files = try DescriptorSetParser.parse(descriptorSetBytes)
/// let swift = try SwiftGenerator.generate(files: files, options: GeneratorOptions(
///     file: "workflow/v1/workflow.proto", namespace: "WorkflowV1", cModule: "CWorkflowProtos"))
/// ```
package enum SwiftGenerator {
    /// The Swift source for `options.file`.
    ///
    /// - Parameters:
    ///   - files: Every file of the descriptor set (imports included).
    ///   - options: What to generate.
    /// - Returns: The source text, starting with a line that says it is generated.
    /// - Throws: ``GeneratorError`` for a missing file or a construct the generator cannot express.
    package static func generate(files: [FileDescriptor], options: GeneratorOptions) throws(GeneratorError) -> String {
        guard let file = files.first(where: { $0.name == options.file }) else {
            throw GeneratorError("\(options.file) is not in the descriptor set")
        }
        guard file.syntax == "proto3" else {
            throw GeneratorError("\(file.name): only proto3 files are supported")
        }
        var types = TypeTable(namespace: options.namespace)
        types.add(file)
        var writer = FileWriter(options: options, types: types, file: file)
        try writer.writeFile()
        for alias in options.serviceAliases {
            guard let aliased = files.first(where: { $0.name == alias.file }) else {
                throw GeneratorError("\(alias.file) is not in the descriptor set")
            }
            try writer.writeServices(of: aliased, namespace: alias.namespace)
        }
        return writer.output
    }
}

/// Every message and enum of the file, by fully qualified name with a leading dot.
struct TypeTable {
    struct Entry {
        /// `WorkflowV1.Job`, `HealthV1.HealthCheckResponse.ServingStatus`.
        var swiftName: String
        /// The proto full name without the leading dot.
        var fullName: String
        var message: MessageDescriptor?
        var enumeration: EnumDescriptor?
    }

    let namespace: String
    private(set) var entries: [String: Entry] = [:]
    /// Simple names of the top-level messages, for service aliases.
    private(set) var bySimpleName: [String: Entry] = [:]

    init(namespace: String) {
        self.namespace = namespace
    }

    mutating func add(_ file: FileDescriptor) {
        for message in file.messages {
            add(message, swiftScope: namespace)
            bySimpleName[message.name] = entries["." + message.fullName]
        }
        for enumeration in file.enums {
            entries["." + enumeration.fullName] = Entry(swiftName: "\(namespace).\(Naming.typeName(enumeration.name))", fullName: enumeration.fullName, enumeration: enumeration)
        }
    }

    private mutating func add(_ message: MessageDescriptor, swiftScope: String) {
        let swiftName = "\(swiftScope).\(Naming.typeName(message.name))"
        entries["." + message.fullName] = Entry(swiftName: swiftName, fullName: message.fullName, message: message)
        for nested in message.nestedMessages {
            add(nested, swiftScope: swiftName)
        }
        for nested in message.nestedEnums {
            entries["." + nested.fullName] = Entry(swiftName: "\(swiftName).\(Naming.typeName(nested.name))", fullName: nested.fullName, enumeration: nested)
        }
    }

    func lookUp(_ typeName: String, for context: String) throws(GeneratorError) -> Entry {
        guard let entry = entries[typeName] else {
            throw GeneratorError("\(context): type \(typeName) is not declared in the generated file")
        }
        return entry
    }
}

/// How one value of a field's type is written in Swift and converted from and to C.
struct ValueCoding {
    /// The Swift type of one value.
    var swiftType: String
    /// The proto3 default.
    var defaultValue: String
    /// Converts a C value (the expression `$c`) to Swift.
    var fromC: (String) -> String
    /// Converts a Swift value to C, with `arena` in scope.
    var toC: (String) -> String
    /// Whether `fromC` can throw `CCopy.InvalidUTF8` (a string, or a message that may hold
    /// one): the caller puts the `try`.
    var canThrow = false

    static func of(_ field: FieldDescriptor, types: TypeTable, context: String) throws(GeneratorError) -> ValueCoding {
        let plain = { (type: String, zero: String) in
            ValueCoding(swiftType: type, defaultValue: zero, fromC: { $0 }, toC: { $0 })
        }
        switch field.kind {
        case .double: return plain("Double", "0")
        case .float: return plain("Float", "0")
        case .int32, .sint32, .sfixed32: return plain("Int32", "0")
        case .int64, .sint64, .sfixed64: return plain("Int64", "0")
        case .uint32, .fixed32: return plain("UInt32", "0")
        case .uint64, .fixed64: return plain("UInt64", "0")
        case .bool:
            return ValueCoding(swiftType: "Bool", defaultValue: "false", fromC: { "\($0) != 0" }, toC: { "\($0) ? 1 : 0" })
        case .string:
            return ValueCoding(
                swiftType: "String", defaultValue: "\"\"",
                fromC: { "CCopy.string(\($0), field: \"\(context)\")" }, toC: { "arena.cString(\($0))" }, canThrow: true
            )
        case .bytes:
            return ValueCoding(
                swiftType: "[UInt8]", defaultValue: "[]",
                fromC: { "CCopy.bytes(\($0).data, count: \($0).len)" },
                toC: { "ProtobufCBinaryData(len: \($0).count, data: arena.bytes(\($0)))" }
            )
        case .enumeration:
            let entry = try types.lookUp(field.typeName, for: context)
            // proto3 requires a first value numbered 0: the default.
            let zero = entry.enumeration.flatMap { enumeration in
                let cases = Naming.enumCases(enumeration.values.map(\.name), enumName: enumeration.name)
                return enumeration.values.firstIndex { $0.number == 0 }.map { "." + cases[$0] }
            }
            return ValueCoding(swiftType: entry.swiftName, defaultValue: zero ?? "\(entry.swiftName)(rawValue: 0)", fromC: { "\(entry.swiftName)(\($0))" }, toC: { "\($0).cValue" })
        case .message:
            let entry = try types.lookUp(field.typeName, for: context)
            let cType = Naming.cType(entry.fullName)
            return ValueCoding(
                swiftType: entry.swiftName, defaultValue: "\(entry.swiftName)()",
                fromC: { "\(entry.swiftName).copy(UnsafeRawPointer(\($0)))" },
                toC: { "arena.subMessage(\($0))?.assumingMemoryBound(to: \(cType).self)" },
                canThrow: true
            )
        case .group:
            throw GeneratorError("\(context): groups are not supported")
        }
    }
}

/// The generated text, built declaration by declaration.
struct FileWriter {
    let options: GeneratorOptions
    let types: TypeTable
    let file: FileDescriptor
    private(set) var output = ""
    private var indentation = ""

    init(options: GeneratorOptions, types: TypeTable, file: FileDescriptor) {
        self.options = options
        self.types = types
        self.file = file
    }

    private var access: String { options.access }

    /// The access of the ``CMessageCodec`` witnesses: SPI when the types are public, so that
    /// only generated code sees them.
    private var codecAccess: String { access == "public" ? "@_spi(MessageRuntime) public" : access }

    // MARK: Lines

    private mutating func line(_ text: String = "") {
        output += text.isEmpty ? "\n" : indentation + text + "\n"
    }

    /// `opening {`, the lines `body` writes one level deeper, and `}`.
    private mutating func block<Failure: Error>(_ opening: String, _ body: (inout FileWriter) throws(Failure) -> Void) throws(Failure) {
        line(opening + " {")
        let saved = indentation
        indentation += "    "
        defer {
            indentation = saved
            line("}")
        }
        try body(&self)
    }

    /// A `///` comment, one line per line of `text`.
    private mutating func doc(_ text: String) {
        for docLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line(docLine.isEmpty ? "///" : "/// \(docLine)")
        }
    }

    // MARK: File

    mutating func writeFile() throws(GeneratorError) {
        line("// Generated by Scripts/generate-protos.sh from \(file.name): do not edit.")
        line("// Swift value types over the protoc-c code in \(options.cModule) (SwiftMessageGenerator).")
        line()
        line("internal import \(options.cModule)")
        line("@_spi(MessageRuntime) import MessageRuntime")
        for enumeration in file.enums {
            line()
            block("extension \(options.namespace)") { writer in
                writer.writeEnum(enumeration)
            }
            try writeEnumCodec(enumeration, swiftName: "\(options.namespace).\(Naming.typeName(enumeration.name))")
        }
        for message in file.messages {
            try writeMessage(message, scope: options.namespace)
        }
        if !file.messages.isEmpty {
            writeArenaAllocator()
        }
        writeMessageTypes()
        if !file.services.isEmpty {
            try writeServices(of: file, namespace: options.namespace)
        }
    }

    /// The protoc-c allocator every `cUnpack` of the file uses for an unpack into an arena.
    private mutating func writeArenaAllocator() {
        line()
        doc("protoc-c's allocator for an unpack into an arena: `unpack` points to the `ArenaUnpack` that")
        doc("`CMessageCodec.unpack` keeps alive until the C tree is copied out; `free` does nothing.")
        line("private func arenaAllocator(_ unpack: UnsafeMutableRawPointer) -> ProtobufCAllocator {")
        line("    ProtobufCAllocator(alloc: { ArenaUnpack.allocate(byteCount: $1, in: $0) }, free: { _, _ in }, allocator_data: unpack)")
        line("}")
    }

    /// `messageTypes`: every message of the file, nested ones included, map entries not, in
    /// declaration order; for tests that must cover them all.
    private mutating func writeMessageTypes() {
        func names(_ message: MessageDescriptor, scope: String) -> [String] {
            guard !message.isMapEntry else { return [] }
            let swiftName = "\(scope).\(Naming.typeName(message.name))"
            return [swiftName] + message.nestedMessages.flatMap { names($0, scope: swiftName) }
        }
        let all = file.messages.flatMap { names($0, scope: options.namespace) }
        line()
        block("extension \(options.namespace)") { writer in
            writer.doc("Every message type of `\(writer.file.name)`, nested ones included, in declaration order.")
            writer.line("\(writer.access) static let messageTypes: [any ProtoMessage.Type] = [")
            for name in all {
                writer.line("    \(name).self,")
            }
            writer.line("]")
        }
    }

    // MARK: Enums

    private mutating func writeEnum(_ enumeration: EnumDescriptor) {
        let name = Naming.typeName(enumeration.name)
        doc(enumeration.comment.isEmpty ? "`\(enumeration.fullName)`." : "\(enumeration.comment)\n\nThe Swift form of `\(enumeration.fullName)`.")
        block("\(access) struct \(name): ProtoEnum") { writer in
            let access = writer.access
            writer.line("\(access) var rawValue: Int32")
            writer.line("\(access) init(rawValue: Int32) { self.rawValue = rawValue }")
            let cases = Naming.enumCases(enumeration.values.map(\.name), enumName: enumeration.name)
            for (value, swiftName) in zip(enumeration.values, cases) {
                writer.line()
                writer.doc("`\(value.name)` (\(value.number))" + (value.comment.isEmpty ? "." : ": \(value.comment)"))
                writer.line("\(access) static let \(swiftName) = \(name)(rawValue: \(value.number))")
            }
            writer.line()
            writer.line("\(access) static let protoNames: [Int32: String] = [")
            var seen: Set<Int32> = []
            for value in enumeration.values where seen.insert(value.number).inserted {
                writer.line("    \(value.number): \"\(value.name)\",")
            }
            writer.line("]")
        }
    }

    /// The conversions from and to protoc-c's enum.
    private mutating func writeEnumCodec(_ enumeration: EnumDescriptor, swiftName: String) throws(GeneratorError) {
        let cType = Naming.cType(enumeration.fullName)
        line()
        try block("extension \(swiftName)") { writer throws(GeneratorError) in
            // protoc-c's enum imports with an unsigned raw value, or a signed one when a value is
            // negative: truncating converts either way without a trap.
            writer.line("init(_ value: \(cType)) { self.init(rawValue: Int32(truncatingIfNeeded: value.rawValue)) }")
            writer.line("var cValue: \(cType) { \(cType)(rawValue: .init(truncatingIfNeeded: rawValue)) }")
        }
    }

    // MARK: Messages

    private mutating func writeMessage(_ message: MessageDescriptor, scope: String, isNested: Bool = false) throws(GeneratorError) {
        guard !message.isMapEntry else { return }
        let typeName = Naming.typeName(message.name)
        let swiftName = "\(scope).\(typeName)"
        let plans = try FieldPlan.plans(for: message, types: types)
        line()
        try block("extension \(scope)") { writer throws(GeneratorError) in
            writer.doc(message.comment.isEmpty ? "`\(message.fullName)`." : "\(message.comment)\n\nThe Swift form of `\(message.fullName)`.")
            try writer.block("\(writer.access) struct \(typeName): ProtoMessage") { writer throws(GeneratorError) in
                for plan in plans {
                    writer.doc(plan.comment)
                    writer.line("\(writer.access) var \(plan.swiftName): \(plan.swiftType)")
                    writer.line()
                }
                writer.writeMemberwiseInit(plans)
            }
        }
        for oneof in plans.compactMap(\.oneof) {
            line()
            try block("extension \(swiftName)") { writer throws(GeneratorError) in
                writer.writeOneofEnum(oneof)
            }
        }
        for enumeration in message.nestedEnums {
            line()
            try block("extension \(swiftName)") { writer throws(GeneratorError) in
                writer.writeEnum(enumeration)
            }
        }
        line()
        try writeCodec(message, swiftName: swiftName, plans: plans, isNested: isNested)
        line()
        writeJSONCoding(message, swiftName: swiftName, plans: plans)
        for enumeration in message.nestedEnums {
            try writeEnumCodec(enumeration, swiftName: "\(swiftName).\(Naming.typeName(enumeration.name))")
        }
        for nested in message.nestedMessages {
            try writeMessage(nested, scope: swiftName, isNested: true)
        }
    }

    private mutating func writeMemberwiseInit(_ plans: [FieldPlan]) {
        var parameters = "Creates a message; every field defaults to its proto3 default."
        if !plans.isEmpty {
            parameters += "\n\n- Parameters:"
            for plan in plans {
                parameters += "\n  - \(plan.swiftName.trimmingBackquotes): \(plan.summary)"
            }
        }
        doc(parameters)
        if plans.isEmpty {
            line("\(access) init() {}")
            return
        }
        line("\(access) init(")
        for (index, plan) in plans.enumerated() {
            let separator = index == plans.count - 1 ? "" : ","
            line("    \(plan.swiftName.trimmingBackquotes): \(plan.swiftType) = \(plan.defaultValue)\(separator)")
        }
        line(") {")
        for plan in plans {
            line("    self.\(plan.swiftName.trimmingBackquotes) = \(plan.swiftName)")
        }
        line("}")
    }

    private mutating func writeOneofEnum(_ oneof: FieldPlan.Oneof) {
        doc(oneof.comment.isEmpty ? "The fields of the `\(oneof.protoName)` oneof: at most one is set." : oneof.comment)
        block("\(access) enum \(oneof.typeName): Hashable, Sendable") { writer in
            for member in oneof.members {
                writer.doc(member.comment.isEmpty ? "`\(member.protoName)`." : member.comment)
                writer.line("case \(member.caseName)(\(member.coding.swiftType))")
            }
        }
    }

    /// The ``CMessageCodec`` conformance. protoc-c declares `__pack`, `__unpack` and the like
    /// for top-level messages only: a nested message calls protobuf-c's generic functions,
    /// with the descriptor that its `__init` stores in the struct.
    private mutating func writeCodec(_ message: MessageDescriptor, swiftName: String, plans: [FieldPlan], isNested: Bool) throws(GeneratorError) {
        let cType = Naming.cType(message.fullName)
        let function = Naming.cFunctionPrefix(message.fullName)
        try block("extension \(swiftName): CMessageCodec") { writer throws(GeneratorError) in
            let access = writer.access
            writer.line("\(access) static var protoMessageName: String { \"\(message.fullName)\" }")
            writer.line("\(access) init(serializedBytes bytes: UnsafeRawBufferPointer) throws(MessageDecodingError) { self = try Self.unpack(bytes) }")
            writer.line("\(access) func serializedBytes() -> [UInt8] { packedBytes() }")
            writer.line("\(access) func serialize(appendingTo bytes: inout [UInt8]) { pack(appendingTo: &bytes) }")
            writer.line()
            let codec = writer.codecAccess
            writer.line("typealias CMessage = \(cType)")
            writer.line("\(codec) static var cMessageSize: Int { MemoryLayout<CMessage>.stride }")
            writer.line("\(codec) static var cMessageAlignment: Int { MemoryLayout<CMessage>.alignment }")
            writer.line("\(codec) static func cInit(_ message: UnsafeMutableRawPointer) { \(function)__init(message.bindMemory(to: CMessage.self, capacity: 1)) }")
            if isNested {
                writer.line("\(codec) static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>, arena: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {")
                writer.line("    var blank = CMessage()")
                writer.line("    \(function)__init(&blank)")
                writer.line("    guard let arena else { return UnsafeMutableRawPointer(protobuf_c_message_unpack(blank.base.descriptor, nil, length, data)) }")
                writer.line("    var allocator = arenaAllocator(arena)")
                writer.line("    return UnsafeMutableRawPointer(protobuf_c_message_unpack(blank.base.descriptor, &allocator, length, data))")
                writer.line("}")
                writer.line("\(codec) static func cFreeUnpacked(_ message: UnsafeMutableRawPointer) { protobuf_c_message_free_unpacked(message.assumingMemoryBound(to: CMessage.self).pointer(to: \\.base), nil) }")
                writer.line("\(codec) static func cPackedSize(_ message: UnsafeRawPointer) -> Int { protobuf_c_message_get_packed_size(message.assumingMemoryBound(to: CMessage.self).pointer(to: \\.base)) }")
                writer.line("\(codec) static func cPack(_ message: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt8>) -> Int { protobuf_c_message_pack(message.assumingMemoryBound(to: CMessage.self).pointer(to: \\.base), out) }")
            } else {
                writer.line("\(codec) static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>, arena: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {")
                writer.line("    guard let arena else { return UnsafeMutableRawPointer(\(function)__unpack(nil, length, data)) }")
                writer.line("    var allocator = arenaAllocator(arena)")
                writer.line("    return UnsafeMutableRawPointer(\(function)__unpack(&allocator, length, data))")
                writer.line("}")
                writer.line("\(codec) static func cFreeUnpacked(_ message: UnsafeMutableRawPointer) { \(function)__free_unpacked(message.assumingMemoryBound(to: CMessage.self), nil) }")
                writer.line("\(codec) static func cPackedSize(_ message: UnsafeRawPointer) -> Int { \(function)__get_packed_size(message.assumingMemoryBound(to: CMessage.self)) }")
                writer.line("\(codec) static func cPack(_ message: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt8>) -> Int { \(function)__pack(message.assumingMemoryBound(to: CMessage.self), out) }")
            }
            writer.line()
            if plans.isEmpty {
                writer.line("\(codec) init(copying cMessage: UnsafeRawPointer) { self.init() }")
                writer.line()
                writer.line("\(codec) func fill(_ cMessage: UnsafeMutableRawPointer, arena: inout PackArena) {}")
                return
            }
            try writer.block("\(codec) init(copying cMessage: UnsafeRawPointer) throws(CCopy.InvalidUTF8)") { writer throws(GeneratorError) in
                writer.line("let c = cMessage.assumingMemoryBound(to: CMessage.self).pointee")
                writer.line("self.init(")
                for (index, plan) in plans.enumerated() {
                    let separator = index == plans.count - 1 ? "" : ","
                    writer.line("    \(plan.swiftName.trimmingBackquotes): \(plan.copyExpression)\(separator)")
                }
                writer.line(")")
            }
            writer.line()
            try writer.block("\(codec) func fill(_ cMessage: UnsafeMutableRawPointer, arena: inout PackArena)") { writer throws(GeneratorError) in
                writer.line("let c = cMessage.assumingMemoryBound(to: CMessage.self)")
                for plan in plans {
                    for statement in plan.fillStatements {
                        writer.line(statement)
                    }
                }
            }
            for oneof in plans.compactMap(\.oneof) {
                writer.line()
                let throwing = oneof.members.contains { $0.coding.canThrow } ? " throws(CCopy.InvalidUTF8)" : ""
                try writer.block("private static func copy\(oneof.typeName)(_ c: CMessage)\(throwing) -> \(oneof.typeName)?") { writer throws(GeneratorError) in
                    writer.line("switch c.\(Naming.cOneofCase(oneof.protoName)) {")
                    for member in oneof.members {
                        writer.line("case \(member.cConstant): .\(member.caseName)(\(member.copyExpression))")
                    }
                    writer.line("default: nil")
                    writer.line("}")
                }
            }
        }
    }

    /// The ``ProtoJSONCodable`` witnesses: proto3 JSON, proto field names out, either name in.
    private mutating func writeJSONCoding(_ message: MessageDescriptor, swiftName: String, plans: [FieldPlan]) {
        block("extension \(swiftName)") { writer in
            let access = writer.access
            writer.block("\(access) func writeProtoJSON(to writer: inout JSONWriter)") { writer in
                writer.line("writer.beginObject()")
                for plan in plans {
                    let property = "self.\(plan.swiftName.trimmingBackquotes)"
                    if let oneof = plan.oneof {
                        writer.line("switch \(property) {")
                        for member in oneof.members {
                            writer.line("case .\(member.caseName.trimmingBackquotes)(let value)?:")
                            writer.line("    writer.name(\"\(member.protoName)\")")
                            writer.line(member.isBytes ? "    ProtoJSON.writeBytes(value, to: &writer)" : "    value.writeProtoJSON(to: &writer)")
                        }
                        writer.line("case nil:")
                        writer.line("    break")
                        writer.line("}")
                        continue
                    }
                    switch plan.json {
                    case .value:
                        writer.line("writer.name(\"\(plan.protoName)\")")
                        writer.line("\(property).writeProtoJSON(to: &writer)")
                    case .bytes:
                        writer.line("writer.name(\"\(plan.protoName)\")")
                        writer.line("ProtoJSON.writeBytes(\(property), to: &writer)")
                    case .repeatedBytes:
                        writer.line("writer.name(\"\(plan.protoName)\")")
                        writer.line("ProtoJSON.writeBytesArray(\(property), to: &writer)")
                    case .optionalMessage:
                        writer.line("if let value = \(property) {")
                        writer.line("    writer.name(\"\(plan.protoName)\")")
                        writer.line("    value.writeProtoJSON(to: &writer)")
                        writer.line("}")
                    }
                }
                writer.line("writer.endObject()")
            }
            writer.line()
            writer.block("\(access) init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError)") { writer in
                writer.line("self.init()")
                let members = "try ProtoJSON.members(of: value, at: path, message: \"\(message.fullName)\")"
                guard !plans.isEmpty else {
                    writer.line("if let member = \(members).first {")
                    writer.line("    throw ProtoJSON.unknownField(member.key, in: \"\(message.fullName)\", at: path)")
                    writer.line("}")
                    return
                }
                writer.line("var seen: Set<Int32> = []")
                writer.line("for (key, member) in \(members) {")
                writer.line("    switch key {")
                for plan in plans {
                    let property = "self.\(plan.swiftName.trimmingBackquotes)"
                    if let oneof = plan.oneof {
                        for member in oneof.members {
                            writer.line("    case \(Self.jsonKeys(member.protoName)):")
                            writer.line("        try ProtoJSON.markSet(\(member.number), in: &seen, key: key, at: path)")
                            // One member of a oneof at most, even when an earlier one was null.
                            writer.line("        guard seen.insert(-\(oneof.members[0].number)).inserted else { throw ProtoJSON.secondOneofMember(key, oneof: \"\(oneof.protoName)\", at: path) }")
                            writer.line("        if case .null = member { continue }")
                            let read = member.isBytes
                                ? "ProtoJSON.readBytes(member, at: ProtoJSON.path(path, key))"
                                : "\(member.coding.swiftType)(protoJSON: member, at: ProtoJSON.path(path, key))"
                            writer.line("        \(property) = .\(member.caseName.trimmingBackquotes)(try \(read))")
                        }
                        continue
                    }
                    writer.line("    case \(Self.jsonKeys(plan.protoName)):")
                    writer.line("        try ProtoJSON.markSet(\(plan.number), in: &seen, key: key, at: path)")
                    writer.line("        if case .null = member { continue }")
                    let read: String
                    switch plan.json {
                    case .value: read = "\(plan.swiftType)(protoJSON: member, at: ProtoJSON.path(path, key))"
                    case .optionalMessage: read = "\(plan.swiftType.dropLast())(protoJSON: member, at: ProtoJSON.path(path, key))"
                    case .bytes: read = "ProtoJSON.readBytes(member, at: ProtoJSON.path(path, key))"
                    case .repeatedBytes: read = "ProtoJSON.readBytesArray(member, at: ProtoJSON.path(path, key))"
                    }
                    writer.line("        \(property) = try \(read)")
                }
                writer.line("    default:")
                writer.line("        throw ProtoJSON.unknownField(key, in: \"\(message.fullName)\", at: path)")
                writer.line("    }")
                writer.line("}")
            }
        }
    }

    /// The member names a field is read from: its proto name and, when different, protoc's
    /// JSON name (`workflow_id`, `workflowId`).
    private static func jsonKeys(_ protoName: String) -> String {
        let jsonName = Naming.jsonName(protoName)
        return jsonName == protoName ? "\"\(protoName)\"" : "\"\(protoName)\", \"\(jsonName)\""
    }

    // MARK: Services

    mutating func writeServices(of serviceFile: FileDescriptor, namespace: String) throws(GeneratorError) {
        for service in serviceFile.services {
            let fullName = serviceFile.package.isEmpty ? service.name : "\(serviceFile.package).\(service.name)"
            line()
            try block("extension \(namespace)") { writer throws(GeneratorError) in
                writer.doc((service.comment.isEmpty ? "" : service.comment + "\n\n") + "The methods of `\(fullName)`.")
                try writer.block("\(writer.access) enum \(service.name)") { writer throws(GeneratorError) in
                    writer.doc("`\(fullName)`.")
                    writer.line("\(writer.access) static let name = \"\(fullName)\"")
                    var methodNames: [String] = []
                    for method in service.methods {
                        let request = try writer.resolveServiceType(method.inputType, in: serviceFile, for: "\(fullName).\(method.name)")
                        let response = try writer.resolveServiceType(method.outputType, in: serviceFile, for: "\(fullName).\(method.name)")
                        let kind = switch (method.clientStreaming, method.serverStreaming) {
                        case (false, false): "unary"
                        case (false, true): "serverStreaming"
                        case (true, false): "clientStreaming"
                        case (true, true): "bidirectionalStreaming"
                        }
                        let property = Naming.methodProperty(method.name)
                        methodNames.append(property)
                        writer.line()
                        writer.doc((method.comment.isEmpty ? "" : method.comment + "\n\n") + "`\(method.name)`: \(kind).")
                        writer.line("\(writer.access) static let \(property) = MethodDescriptor<\(request), \(response)>(")
                        writer.line("    service: name, name: \"\(method.name)\", kind: .\(kind),")
                        writer.line("    requestType: \"\(method.inputType.dropFirst())\", responseType: \"\(method.outputType.dropFirst())\"")
                        writer.line(")")
                    }
                    writer.line()
                    writer.doc("The service and its methods in declaration order.")
                    writer.line("\(writer.access) static let descriptor = ServiceDescriptor(fullName: name, methods: [\(methodNames.map { "\($0).info" }.joined(separator: ", "))])")
                }
            }
        }
    }

    /// The Swift type of a method's request or response; for a service alias, the message of
    /// the same simple name in the generated file.
    private func resolveServiceType(_ typeName: String, in serviceFile: FileDescriptor, for context: String) throws(GeneratorError) -> String {
        if serviceFile.name == file.name {
            return try types.lookUp(typeName, for: context).swiftName
        }
        let simpleName = String(typeName.split(separator: ".").last ?? "")
        guard let entry = types.bySimpleName[simpleName] else {
            throw GeneratorError("\(context): \(typeName) has no message named \(simpleName) in \(file.name)")
        }
        return entry.swiftName
    }
}

extension String {
    /// The name without the backquotes that escape a keyword.
    var trimmingBackquotes: String {
        hasPrefix("`") ? String(dropFirst().dropLast()) : self
    }
}
