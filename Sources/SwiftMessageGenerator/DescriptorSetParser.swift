internal import MessageRuntime

/// Reads a serialized `google.protobuf.FileDescriptorSet` into ``FileDescriptor`` values, with
/// the comments of every declaration when protoc ran with `--include_source_info`.
package enum DescriptorSetParser {
    /// Bytes that are not a `FileDescriptorSet`.
    package struct Malformed: Error, CustomStringConvertible {
        /// What was being read, e.g. `"FileDescriptorProto"`.
        package var what: String
        /// Where reading stopped, in bytes from the start of that message.
        package var offset: Int

        package var description: String { "malformed \(what) at byte \(offset) of the descriptor set" }
    }

    /// How deep messages may nest in one another: protobuf's own default recursion limit. Deeper
    /// input is `Malformed` rather than a stack overflow.
    static let maximumNesting = 100

    /// Parses every file of a descriptor set.
    ///
    /// - Parameter bytes: The output of `protoc --descriptor_set_out`.
    /// - Returns: The files in the set's order (dependencies first with `--include_imports`).
    /// - Throws: ``Malformed`` when the bytes are not a descriptor set.
    package static func parse(_ bytes: [UInt8]) throws(Malformed) -> [FileDescriptor] {
        var files: [FileDescriptor] = []
        try forEachField(bytes[...], "FileDescriptorSet") { field, value throws(Malformed) in
            if field == 1, case .bytes(let file) = value { files.append(try parseFile(file)) }
        }
        return files
    }

    private static func parseFile(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> FileDescriptor {
        var file = FileDescriptor()
        var comments: [[Int32]: String] = [:]
        try forEachField(bytes, "FileDescriptorProto") { field, value throws(Malformed) in
            switch (field, value) {
            case (1, .bytes(let text)): file.name = string(text)
            case (2, .bytes(let text)): file.package = string(text)
            case (4, .bytes(let message)): file.messages.append(try parseMessage(message, depth: 1))
            case (5, .bytes(let enumeration)): file.enums.append(try parseEnum(enumeration))
            case (6, .bytes(let service)): file.services.append(try parseService(service))
            case (9, .bytes(let info)): comments = try parseSourceCodeInfo(info)
            case (12, .bytes(let text)): file.syntax = string(text)
            default: break
            }
        }
        let prefix = file.package.isEmpty ? "" : file.package + "."
        for index in file.messages.indices {
            resolve(&file.messages[index], scope: prefix, path: [4, Int32(index)], comments: comments)
        }
        for index in file.enums.indices {
            resolve(&file.enums[index], scope: prefix, path: [5, Int32(index)], comments: comments)
        }
        for index in file.services.indices {
            let path: [Int32] = [6, Int32(index)]
            file.services[index].comment = comments[path] ?? ""
            for method in file.services[index].methods.indices {
                file.services[index].methods[method].comment = comments[path + [2, Int32(method)]] ?? ""
            }
        }
        return file
    }

    /// Sets full names and comments, which only the file-level pass can know.
    private static func resolve(_ message: inout MessageDescriptor, scope: String, path: [Int32], comments: [[Int32]: String]) {
        message.fullName = scope + message.name
        message.comment = comments[path] ?? ""
        for index in message.fields.indices {
            message.fields[index].comment = comments[path + [2, Int32(index)]] ?? ""
        }
        message.oneofComments = message.oneofNames.indices.map { comments[path + [8, Int32($0)]] ?? "" }
        for index in message.nestedMessages.indices {
            resolve(&message.nestedMessages[index], scope: message.fullName + ".", path: path + [3, Int32(index)], comments: comments)
        }
        for index in message.nestedEnums.indices {
            resolve(&message.nestedEnums[index], scope: message.fullName + ".", path: path + [4, Int32(index)], comments: comments)
        }
    }

    private static func resolve(_ enumeration: inout EnumDescriptor, scope: String, path: [Int32], comments: [[Int32]: String]) {
        enumeration.fullName = scope + enumeration.name
        enumeration.comment = comments[path] ?? ""
        for index in enumeration.values.indices {
            enumeration.values[index].comment = comments[path + [2, Int32(index)]] ?? ""
        }
    }

    private static func parseMessage(_ bytes: ArraySlice<UInt8>, depth: Int) throws(Malformed) -> MessageDescriptor {
        guard depth <= maximumNesting else {
            throw Malformed(what: "DescriptorProto nested more than \(maximumNesting) deep", offset: 0)
        }
        var message = MessageDescriptor()
        try forEachField(bytes, "DescriptorProto") { field, value throws(Malformed) in
            switch (field, value) {
            case (1, .bytes(let text)): message.name = string(text)
            case (2, .bytes(let field)): message.fields.append(try parseField(field))
            case (3, .bytes(let nested)): message.nestedMessages.append(try parseMessage(nested, depth: depth + 1))
            case (4, .bytes(let nested)): message.nestedEnums.append(try parseEnum(nested))
            case (7, .bytes(let options)):
                try forEachField(options, "MessageOptions") { option, value throws(Malformed) in
                    if option == 7, case .varint(let flag) = value { message.isMapEntry = flag != 0 }
                }
            case (8, .bytes(let oneof)):
                var name = ""
                try forEachField(oneof, "OneofDescriptorProto") { field, value throws(Malformed) in
                    if field == 1, case .bytes(let text) = value { name = string(text) }
                }
                message.oneofNames.append(name)
            default: break
            }
        }
        for field in message.fields {
            if let index = field.oneofIndex, index >= message.oneofNames.count {
                throw Malformed(what: "FieldDescriptorProto.oneof_index \(index) of \(message.oneofNames.count) oneofs", offset: 0)
            }
        }
        return message
    }

    private static func parseField(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> FieldDescriptor {
        var descriptor = FieldDescriptor()
        try forEachField(bytes, "FieldDescriptorProto") { field, value throws(Malformed) in
            switch (field, value) {
            case (1, .bytes(let text)): descriptor.name = string(text)
            case (3, .varint(let number)): descriptor.number = Int32(truncatingIfNeeded: number)
            case (4, .varint(let label)): descriptor.isRepeated = label == 3
            case (5, .varint(let type)):
                guard let number = Int(exactly: type), let kind = FieldDescriptor.Kind(rawValue: number) else {
                    throw Malformed(what: "FieldDescriptorProto.type \(type)", offset: 0)
                }
                descriptor.kind = kind
            case (6, .bytes(let text)): descriptor.typeName = string(text)
            case (9, .varint(let index)):
                guard let index = Int(exactly: index) else {
                    throw Malformed(what: "FieldDescriptorProto.oneof_index \(index)", offset: 0)
                }
                descriptor.oneofIndex = index
            case (17, .varint(let flag)): descriptor.isProto3Optional = flag != 0
            default: break
            }
        }
        return descriptor
    }

    private static func parseEnum(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> EnumDescriptor {
        var enumeration = EnumDescriptor()
        try forEachField(bytes, "EnumDescriptorProto") { field, value throws(Malformed) in
            switch (field, value) {
            case (1, .bytes(let text)): enumeration.name = string(text)
            case (2, .bytes(let valueBytes)):
                var enumValue = EnumValueDescriptor()
                try forEachField(valueBytes, "EnumValueDescriptorProto") { field, value throws(Malformed) in
                    switch (field, value) {
                    case (1, .bytes(let text)): enumValue.name = string(text)
                    case (2, .varint(let number)): enumValue.number = Int32(truncatingIfNeeded: number)
                    default: break
                    }
                }
                enumeration.values.append(enumValue)
            default: break
            }
        }
        return enumeration
    }

    private static func parseService(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> ServiceDescriptorProto {
        var service = ServiceDescriptorProto()
        try forEachField(bytes, "ServiceDescriptorProto") { field, value throws(Malformed) in
            switch (field, value) {
            case (1, .bytes(let text)): service.name = string(text)
            case (2, .bytes(let methodBytes)):
                var method = MethodDescriptorProto()
                try forEachField(methodBytes, "MethodDescriptorProto") { field, value throws(Malformed) in
                    switch (field, value) {
                    case (1, .bytes(let text)): method.name = string(text)
                    case (2, .bytes(let text)): method.inputType = string(text)
                    case (3, .bytes(let text)): method.outputType = string(text)
                    case (5, .varint(let flag)): method.clientStreaming = flag != 0
                    case (6, .varint(let flag)): method.serverStreaming = flag != 0
                    default: break
                    }
                }
                service.methods.append(method)
            default: break
            }
        }
        return service
    }

    /// The comment of each declaration, by its path in the file (`SourceCodeInfo.Location.path`):
    /// the leading comment, else the trailing one.
    private static func parseSourceCodeInfo(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [[Int32]: String] {
        var comments: [[Int32]: String] = [:]
        try forEachField(bytes, "SourceCodeInfo") { field, value throws(Malformed) in
            guard field == 1, case .bytes(let location) = value else { return }
            var path: [Int32] = []
            var leading = ""
            var trailing = ""
            try forEachField(location, "SourceCodeInfo.Location") { field, value throws(Malformed) in
                switch (field, value) {
                case (1, .bytes(let packed)):
                    do throws(ProtoWireReader.MalformedMessage) {
                        path += try ProtoWireReader.packedVarints(packed).map { Int32(truncatingIfNeeded: $0) }
                    } catch {
                        throw Malformed(what: "SourceCodeInfo.Location.path", offset: error.offset)
                    }
                case (1, .varint(let element)): path.append(Int32(truncatingIfNeeded: element))
                case (3, .bytes(let text)): leading = string(text)
                case (4, .bytes(let text)): trailing = string(text)
                default: break
                }
            }
            let comment = cleanComment(leading.isEmpty ? trailing : leading)
            if !comment.isEmpty { comments[path] = comment }
        }
        return comments
    }

    /// A comment's lines without the one space protoc leaves after `//`, and without
    /// leading or trailing blank lines.
    static func cleanComment(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasPrefix(" ") ? line.dropFirst() : line
        }
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        return lines.map { String($0.reversed().drop(while: \.isWhitespace).reversed()) }.joined(separator: "\n")
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func forEachField(
        _ bytes: ArraySlice<UInt8>, _ what: String,
        _ body: (Int, ProtoWireReader.Value) throws(Malformed) -> Void
    ) throws(Malformed) {
        var reader = ProtoWireReader(bytes)
        while true {
            let next: (field: Int, value: ProtoWireReader.Value)?
            do {
                next = try reader.next()
            } catch {
                throw Malformed(what: what, offset: error.offset)
            }
            guard let (field, value) = next else { return }
            try body(field, value)
        }
    }
}
