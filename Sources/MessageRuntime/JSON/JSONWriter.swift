/// Writes compact JSON text into a byte array: what generated messages use to encode
/// themselves in the proto3 JSON mapping (``ProtoJSONCodable``).
///
/// Commas are placed by the writer: write a member name with ``name(_:)`` (inside an object)
/// or nothing (inside an array) before each value.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.beginObject()
/// writer.name("workflow_id"); writer.string("wf-1")
/// writer.endObject()
/// // writer.bytes == Array(#"{"workflow_id":"wf-1"}"#.utf8)
/// ```
public struct JSONWriter: Sendable {
    /// The text written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current array or object needs a comma first.
    private var needsComma = false

    /// Creates an empty writer.
    public init() {}

    /// Starts an object.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Ends the current object.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Starts an array.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Ends the current array.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member name; its value comes next.
    public mutating func name(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a string.
    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    /// Writes a number or literal as given (it must be valid JSON).
    public mutating func raw(_ text: String) {
        separate()
        bytes += text.utf8
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    /// Writes `null`.
    public mutating func null() {
        raw("null")
    }

    /// Writes a JSON document parsed earlier.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let text): raw(text)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members):
            beginObject()
            for member in members {
                name(member.key)
                self.value(member.value)
            }
            endObject()
        }
    }

    private mutating func separate() {
        if needsComma {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` in double quotes, escaping what JSON requires (and U+2028/U+2029, which
    /// older JavaScript does not accept unescaped in strings).
    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                appendUnicodeEscape(UInt16(byte))
            case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                appendUnicodeEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendUnicodeEscape(_ value: UInt16) {
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int((value >> UInt16(shift)) & 0xF)])
        }
    }
}
