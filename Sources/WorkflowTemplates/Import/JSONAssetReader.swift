import Foundation

/// Reads a JSON import file: a top-level array of objects, one per asset, e.g.
/// `[{"tag": "P-101", "type": "Pump", "links": ["M-101"]}]`.
///
/// Keys become lower-case column names; strings, numbers and booleans become text, arrays of
/// them are joined with `;` (the CSV links separator), `null` is absent. Each row carries the
/// line of its element so problems can name it.
enum JSONAssetReader {
    /// Why a JSON text cannot be read as assets.
    struct ReadError: Error {
        var reason: String
    }

    static func rows(from data: Data) throws(ReadError) -> [SourceRow] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ReadError(reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let elements = value as? [Any] else {
            throw ReadError(reason: "expected a top-level array of asset objects")
        }
        let lines = elementLines(in: data)
        return elements.enumerated().map { index, element in
            let line = index < lines.count ? lines[index] : 0
            guard let object = element as? [String: Any] else {
                return SourceRow(line: line, fields: [:], problem: "element \(index + 1) is not an object")
            }
            var fields: [String: String] = [:]
            for (key, value) in object {
                if let text = text(of: value) {
                    fields[key.lowercased()] = text.trimmingCharacters(in: .whitespaces)
                }
            }
            return SourceRow(line: line, fields: fields)
        }
    }

    private static func text(of value: Any) -> String? {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        case let array as [Any]: array.compactMap(text(of:)).joined(separator: ";")
        default: nil
        }
    }

    /// The 1-based line on which each element of the top-level array starts.
    private static func elementLines(in data: Data) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var expectingElement = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                continue
            default:
                break
            }
            if expectingElement, byte != UInt8(ascii: "]") {
                lines.append(line)
                expectingElement = false
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                expectingElement = depth == 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                expectingElement = false
            case UInt8(ascii: ","):
                expectingElement = depth == 1
            default:
                break
            }
        }
        return lines
    }
}
