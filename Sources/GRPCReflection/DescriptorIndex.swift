import MessageRuntime

/// The files of a `FileDescriptorSet` by name, and the file declaring each symbol.
///
/// Symbols are fully qualified: messages and their nested messages (`pkg.Outer.Inner`), enums,
/// services and methods (`pkg.Service.Method`).
struct DescriptorIndex: Sendable {
    /// One `FileDescriptorProto`.
    struct File: Sendable {
        var name: String
        /// The serialized `FileDescriptorProto`, as the set carried it.
        var bytes: [UInt8]
        var dependencies: [String]
    }

    private(set) var files: [String: File] = [:]
    private(set) var fileBySymbol: [String: String] = [:]

    /// Parses a serialized `google.protobuf.FileDescriptorSet`.
    /// - Throws: `ProtoWireReader.MalformedMessage` when the bytes are not one.
    init(fileDescriptorSet: [UInt8]) throws(ProtoWireReader.MalformedMessage) {
        var set = ProtoWireReader(fileDescriptorSet[...])
        while let (field, value) = try set.next() {
            guard field == 1, case .bytes(let fileBytes) = value else { continue }
            try addFile(fileBytes)
        }
    }

    /// `name` and every file it imports, directly or not, each once, `name` first.
    func fileWithDependencies(_ name: String) -> [File] {
        var result: [File] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard !seen.contains(next), let file = files[next] else { continue }
            seen.insert(next)
            result.append(file)
            pending.append(contentsOf: file.dependencies.reversed())
        }
        return result
    }

    private mutating func addFile(_ bytes: ArraySlice<UInt8>) throws(ProtoWireReader.MalformedMessage) {
        var reader = ProtoWireReader(bytes)
        var name = ""
        var package = ""
        var dependencies: [String] = []
        var symbols: [String] = []
        var nested: [(kind: Int, bytes: ArraySlice<UInt8>)] = []
        while let (field, value) = try reader.next() {
            guard case .bytes(let content) = value else { continue }
            switch field {
            case 1: name = String(decoding: content, as: UTF8.self)
            case 2: package = String(decoding: content, as: UTF8.self)
            case 3: dependencies.append(String(decoding: content, as: UTF8.self))
            case 4, 5, 6: nested.append((field, content))
            default: break
            }
        }
        let prefix = package.isEmpty ? "" : package + "."
        for (kind, content) in nested {
            switch kind {
            case 4: try Self.messageSymbols(content, prefix: prefix, depth: 0, into: &symbols)
            case 5: symbols.append(prefix + (try Self.name(of: content)))
            default: try Self.serviceSymbols(content, prefix: prefix, into: &symbols)
            }
        }
        files[name] = File(name: name, bytes: Array(bytes), dependencies: dependencies)
        for symbol in symbols where fileBySymbol[symbol] == nil {
            fileBySymbol[symbol] = name
        }
    }

    /// The `name` field (1) of a descriptor.
    private static func name(of bytes: ArraySlice<UInt8>) throws(ProtoWireReader.MalformedMessage) -> String {
        var reader = ProtoWireReader(bytes)
        while let (field, value) = try reader.next() {
            if field == 1, case .bytes(let content) = value { return String(decoding: content, as: UTF8.self) }
        }
        return ""
    }

    /// How deeply messages may nest (protoc itself allows far less in practice).
    private static let maxNesting = 100

    /// A `DescriptorProto`'s name, its nested messages (3) and enums (4), recursively.
    private static func messageSymbols(
        _ bytes: ArraySlice<UInt8>, prefix: String, depth: Int, into symbols: inout [String]
    ) throws(ProtoWireReader.MalformedMessage) {
        guard depth < maxNesting else { throw ProtoWireReader.MalformedMessage(offset: 0) }
        let full = prefix + (try name(of: bytes))
        symbols.append(full)
        var reader = ProtoWireReader(bytes)
        while let (field, value) = try reader.next() {
            guard case .bytes(let content) = value else { continue }
            if field == 3 { try messageSymbols(content, prefix: full + ".", depth: depth + 1, into: &symbols) }
            if field == 4 { symbols.append(full + "." + (try name(of: content))) }
        }
    }

    /// A `ServiceDescriptorProto`'s name and its methods (2).
    private static func serviceSymbols(_ bytes: ArraySlice<UInt8>, prefix: String, into symbols: inout [String]) throws(ProtoWireReader.MalformedMessage) {
        let full = prefix + (try name(of: bytes))
        symbols.append(full)
        var reader = ProtoWireReader(bytes)
        while let (field, value) = try reader.next() {
            if field == 2, case .bytes(let content) = value { symbols.append(full + "." + (try name(of: content))) }
        }
    }
}
