/// Builds one JSON object as text, keys in the order they are added.
///
/// `workflowctl`'s JSON output is read by scripts and CI jobs line by line, so it is written by
/// hand: a fixed key order, one object per line, every control character escaped (the output
/// never contains a raw control character), integers as JSON numbers.
///
/// ```swift
/// var object = JSONObjectWriter()
/// object.add("sequence", 42 as UInt64)
/// object.add("message", "Created P-101")
/// object.text   // {"sequence":42,"message":"Created P-101"}
/// ```
package struct JSONObjectWriter: Sendable {
    private var body = ""

    /// Creates an empty object.
    package init() {}

    /// The object, `{...}`, on one line.
    package var text: String { "{\(body)}" }

    /// Adds a string member.
    package mutating func add(_ key: String, _ value: String) {
        addRaw(key, Self.quoted(value))
    }

    /// Adds an integer member.
    package mutating func add(_ key: String, _ value: Int64) {
        addRaw(key, String(value))
    }

    /// Adds an unsigned integer member.
    package mutating func add(_ key: String, _ value: UInt64) {
        addRaw(key, String(value))
    }

    /// Adds an integer member.
    package mutating func add(_ key: String, _ value: Int32) {
        addRaw(key, String(value))
    }

    /// Adds an integer member.
    package mutating func add(_ key: String, _ value: Int) {
        addRaw(key, String(value))
    }

    /// Adds a number member; NaN and infinities, which JSON cannot express, become `null`.
    package mutating func add(_ key: String, _ value: Double) {
        addRaw(key, value.isFinite ? String(value) : "null")
    }

    /// Adds a boolean member.
    package mutating func add(_ key: String, _ value: Bool) {
        addRaw(key, value ? "true" : "false")
    }

    /// Adds a nested object.
    package mutating func add(_ key: String, _ object: JSONObjectWriter) {
        addRaw(key, object.text)
    }

    /// Adds an array of objects.
    package mutating func add(_ key: String, _ objects: [JSONObjectWriter]) {
        addRaw(key, "[" + objects.map(\.text).joined(separator: ",") + "]")
    }

    /// Adds an array of strings.
    package mutating func add(_ key: String, _ values: [String]) {
        addRaw(key, "[" + values.map(Self.quoted).joined(separator: ",") + "]")
    }

    /// Adds an object of string values, keys sorted so output is stable.
    package mutating func add(_ key: String, _ map: [String: String]) {
        var object = JSONObjectWriter()
        for name in map.keys.sorted() { object.add(name, map[name]!) }
        add(key, object)
    }

    /// Adds an object of integer values, keys sorted so output is stable.
    package mutating func add(_ key: String, _ map: [String: Int64]) {
        var object = JSONObjectWriter()
        for name in map.keys.sorted() { object.add(name, map[name]!) }
        add(key, object)
    }

    /// `value` as a JSON string literal: quotes, backslashes, control characters (C0, DEL,
    /// C1) and the JavaScript line separators U+2028/U+2029 escaped; everything else as UTF-8.
    ///
    /// - Parameter value: Any text.
    /// - Returns: The literal, with its quotes.
    package static func quoted(_ value: String) -> String {
        // Most text needs no escape at all: copy it whole.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 < 0x7F }) {
            return "\"" + value + "\""
        }
        var output = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    private mutating func addRaw(_ key: String, _ value: String) {
        if !body.isEmpty { body += "," }
        body += Self.quoted(key) + ":" + value
    }
}
