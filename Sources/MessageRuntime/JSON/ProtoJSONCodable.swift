/// A value in protobuf's JSON mapping (proto3): generated messages, enums and the scalar types
/// of their fields.
///
/// Encoding writes proto field names (`workflow_id`, as protoc's `preserving_proto_field_name`)
/// and every field without presence, defaults included (as
/// `always_print_fields_with_no_presence`); an unset message field or oneof is left out.
/// 64-bit integers are strings, enums their value names, bytes standard base64, and
/// non-finite floats `"NaN"`, `"Infinity"`, `"-Infinity"`. Decoding takes what protobuf's
/// parsers take: either field name form, numbers or strings for numbers, enum names or numbers,
/// `null` for a default; it refuses unknown fields and a field or oneof given twice.
///
/// ```swift
/// let json = WorkflowV1.GetWorkflowRequest(workflowID: "wf-1").protoJSONBytes()
/// let request = try WorkflowV1.GetWorkflowRequest(protoJSON: JSONValue.parse(json))
/// ```
public protocol ProtoJSONCodable: Sendable {
    /// Writes the value's JSON form.
    func writeProtoJSON(to writer: inout JSONWriter)

    /// Reads a value from its JSON form.
    ///
    /// - Parameters:
    ///   - value: The parsed JSON.
    ///   - path: Where `value` sits in the document, for error messages (`""` at the top).
    /// - Throws: ``JSONDecodingError`` naming the path of the first wrong value.
    init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError)
}

extension ProtoJSONCodable {
    /// Reads a value from the top of a JSON document.
    public init(protoJSON value: JSONValue) throws(JSONDecodingError) {
        try self.init(protoJSON: value, at: "")
    }

    /// The value's JSON form as UTF-8 bytes.
    public func protoJSONBytes() -> [UInt8] {
        var writer = JSONWriter()
        writeProtoJSON(to: &writer)
        return writer.bytes
    }
}

/// Helpers of the generated JSON code.
public enum ProtoJSON {
    /// The path of member `name` under `path`.
    public static func path(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    /// The members of an object that encodes message `messageName`.
    public static func members(of value: JSONValue, at path: String, message messageName: String) throws(JSONDecodingError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = value else {
            throw mismatch(value, expected: "an object (\(messageName))", at: path)
        }
        return members
    }

    /// Records that field `number` was set, refusing a second time (under either name).
    public static func markSet(_ number: Int32, in seen: inout Set<Int32>, key: String, at path: String) throws(JSONDecodingError) {
        guard seen.insert(number).inserted else {
            throw JSONDecodingError(location: Self.path(path, key), reason: "the field is given twice")
        }
    }

    /// The error for a member that names no field of `messageName`.
    public static func unknownField(_ key: String, in messageName: String, at path: String) -> JSONDecodingError {
        JSONDecodingError(location: Self.path(path, key), reason: "\(messageName) has no such field")
    }

    /// The error for a second member of one oneof.
    public static func secondOneofMember(_ key: String, oneof: String, at path: String) -> JSONDecodingError {
        JSONDecodingError(location: Self.path(path, key), reason: "another field of oneof \(oneof) is already set")
    }

    static func mismatch(_ value: JSONValue, expected: String, at path: String) -> JSONDecodingError {
        JSONDecodingError(location: path, reason: "expected \(expected), got \(value.kindDescription)")
    }

    // MARK: Bytes

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Writes `bytes` as a standard base64 string.
    public static func writeBytes(_ bytes: [UInt8], to writer: inout JSONWriter) {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<4 {
                text.append(position <= chunk.count ? base64Alphabet[Int((value >> (18 - 6 * UInt32(position))) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        writer.string(String(decoding: text, as: UTF8.self))
    }

    /// Writes each of `values` as a base64 string, in an array.
    public static func writeBytesArray(_ values: [[UInt8]], to writer: inout JSONWriter) {
        writer.beginArray()
        for bytes in values {
            writeBytes(bytes, to: &writer)
        }
        writer.endArray()
    }

    /// Reads an array of base64 strings.
    public static func readBytesArray(_ value: JSONValue, at path: String) throws(JSONDecodingError) -> [[UInt8]] {
        guard case .array(let elements) = value else { throw mismatch(value, expected: "an array", at: path) }
        var result: [[UInt8]] = []
        for (index, element) in elements.enumerated() {
            result.append(try readBytes(element, at: "\(path)[\(index)]"))
        }
        return result
    }

    /// Reads a base64 string, standard or URL-safe, padded or not.
    public static func readBytes(_ value: JSONValue, at path: String) throws(JSONDecodingError) -> [UInt8] {
        guard case .string(let text) = value else { throw mismatch(value, expected: "a base64 string", at: path) }
        var bytes: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for character in text.utf8 {
            let digit: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): digit = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): digit = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default:
                throw JSONDecodingError(location: path, reason: "not base64")
            }
            guard padding == 0 else { throw JSONDecodingError(location: path, reason: "not base64: text after '='") }
            accumulator = accumulator << 6 | digit
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bits < 6, padding <= 2 else { throw JSONDecodingError(location: path, reason: "not base64: wrong length") }
        return bytes
    }
}

// MARK: - Scalars

extension String: ProtoJSONCodable {
    public func writeProtoJSON(to writer: inout JSONWriter) {
        writer.string(self)
    }

    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        guard case .string(let text) = value else { throw ProtoJSON.mismatch(value, expected: "a string", at: path) }
        self = text
    }
}

extension Bool: ProtoJSONCodable {
    public func writeProtoJSON(to writer: inout JSONWriter) {
        writer.bool(self)
    }

    /// Also takes the strings `"true"` and `"false"` (what a URL query carries).
    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        switch value {
        case .bool(let flag): self = flag
        case .string("true"): self = true
        case .string("false"): self = false
        default: throw ProtoJSON.mismatch(value, expected: "true or false", at: path)
        }
    }
}

/// The integer types of protobuf fields: numbers in JSON, or strings holding one.
public protocol ProtoJSONInteger: FixedWidthInteger, ProtoJSONCodable {
    /// Written as a string (64-bit types).
    static var writesAsString: Bool { get }
}

extension ProtoJSONInteger {
    public func writeProtoJSON(to writer: inout JSONWriter) {
        if Self.writesAsString {
            writer.string(String(self))
        } else {
            writer.raw(String(self))
        }
    }

    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let literal): text = literal
        default: throw ProtoJSON.mismatch(value, expected: "an integer", at: path)
        }
        if let exact = Self(text, radix: 10) {
            self = exact
            return
        }
        // 1e3 and 5.0 are integers too; a fraction or an out-of-range value is not.
        guard let number = Double(text), number.isFinite, number == number.rounded(),
              let integer = Self(exactly: number)
        else {
            throw JSONDecodingError(location: path, reason: "\(text) is not an integer in \(Self.min)...\(Self.max)")
        }
        self = integer
    }
}

extension Int32: ProtoJSONInteger {
    public static var writesAsString: Bool { false }
}

extension UInt32: ProtoJSONInteger {
    public static var writesAsString: Bool { false }
}

extension Int64: ProtoJSONInteger {
    public static var writesAsString: Bool { true }
}

extension UInt64: ProtoJSONInteger {
    public static var writesAsString: Bool { true }
}

/// The floating-point types of protobuf fields.
public protocol ProtoJSONFloat: BinaryFloatingPoint, LosslessStringConvertible, ProtoJSONCodable {}

extension ProtoJSONFloat {
    /// Whether `byte` may appear in a JSON number.
    static func isNumberCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    public func writeProtoJSON(to writer: inout JSONWriter) {
        if isNaN {
            writer.string("NaN")
        } else if isInfinite {
            writer.string(self < 0 ? "-Infinity" : "Infinity")
        } else {
            writer.raw(description)
        }
    }

    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        switch value {
        case .number(let literal):
            guard let number = Self(literal), number.isFinite else {
                throw JSONDecodingError(location: path, reason: "\(literal) is out of range")
            }
            self = number
        case .string("NaN"): self = .nan
        case .string("Infinity"): self = .infinity
        case .string("-Infinity"): self = -.infinity
        case .string(let literal):
            // Only JSON's number syntax: Swift would also read "0x1p3" or "inf".
            guard literal.utf8.allSatisfy(Self.isNumberCharacter), let number = Self(literal), number.isFinite else {
                throw JSONDecodingError(location: path, reason: "\(literal) is not a number")
            }
            self = number
        default:
            throw ProtoJSON.mismatch(value, expected: "a number", at: path)
        }
    }
}

extension Double: ProtoJSONFloat {}

extension Float: ProtoJSONFloat {}

// MARK: - Enums

extension ProtoEnum {
    /// Writes the value's proto name, or its number when this build does not know it.
    public func writeProtoJSON(to writer: inout JSONWriter) {
        if let name = Self.protoNames[rawValue] {
            writer.string(name)
        } else {
            writer.raw(String(rawValue))
        }
    }

    /// Reads a proto name this build knows, or any number (also as a string, as a URL query
    /// carries it).
    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        switch value {
        case .string(let name):
            guard let number = Self.protoNames.first(where: { $0.value == name })?.key ?? Int32(name) else {
                let known = Self.protoNames.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
                throw JSONDecodingError(location: path, reason: "unknown value \(name); expected one of \(known)")
            }
            self.init(rawValue: number)
        case .number:
            self.init(rawValue: try Int32(protoJSON: value, at: path))
        default:
            throw ProtoJSON.mismatch(value, expected: "an enum value name", at: path)
        }
    }
}

// MARK: - Repeated fields and maps

extension Array: ProtoJSONCodable where Element: ProtoJSONCodable {
    public func writeProtoJSON(to writer: inout JSONWriter) {
        writer.beginArray()
        for element in self {
            element.writeProtoJSON(to: &writer)
        }
        writer.endArray()
    }

    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        guard case .array(let elements) = value else { throw ProtoJSON.mismatch(value, expected: "an array", at: path) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            result.append(try Element(protoJSON: element, at: "\(path)[\(index)]"))
        }
        self = result
    }
}

/// A map key type: written as a JSON member name.
public protocol ProtoJSONMapKey: Hashable, Sendable {
    /// The member name.
    var protoJSONKey: String { get }

    /// Reads a member name.
    init(protoJSONKey key: String, at path: String) throws(JSONDecodingError)
}

extension String: ProtoJSONMapKey {
    public var protoJSONKey: String { self }

    public init(protoJSONKey key: String, at path: String) throws(JSONDecodingError) {
        self = key
    }
}

extension ProtoJSONMapKey where Self: ProtoJSONInteger {
    public var protoJSONKey: String { String(self) }

    public init(protoJSONKey key: String, at path: String) throws(JSONDecodingError) {
        try self.init(protoJSON: .string(key), at: path)
    }
}

extension Bool: ProtoJSONMapKey {
    public var protoJSONKey: String { self ? "true" : "false" }

    public init(protoJSONKey key: String, at path: String) throws(JSONDecodingError) {
        try self.init(protoJSON: .string(key), at: path)
    }
}

extension Int32: ProtoJSONMapKey {}
extension Int64: ProtoJSONMapKey {}
extension UInt32: ProtoJSONMapKey {}
extension UInt64: ProtoJSONMapKey {}

extension Dictionary: ProtoJSONCodable where Key: ProtoJSONMapKey, Value: ProtoJSONCodable {
    /// Writes the entries sorted by member name, so equal maps give equal text.
    public func writeProtoJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        for (name, value) in map({ ($0.key.protoJSONKey, $0.value) }).sorted(by: { $0.0 < $1.0 }) {
            writer.name(name)
            value.writeProtoJSON(to: &writer)
        }
        writer.endObject()
    }

    public init(protoJSON value: JSONValue, at path: String) throws(JSONDecodingError) {
        guard case .object(let members) = value else { throw ProtoJSON.mismatch(value, expected: "an object (a map)", at: path) }
        var result: [Key: Value] = [:]
        for member in members {
            let memberPath = ProtoJSON.path(path, member.key)
            let key = try Key(protoJSONKey: member.key, at: memberPath)
            guard result.updateValue(try Value(protoJSON: member.value, at: memberPath), forKey: key) == nil else {
                throw JSONDecodingError(location: memberPath, reason: "the map key is given twice")
            }
        }
        self = result
    }
}
