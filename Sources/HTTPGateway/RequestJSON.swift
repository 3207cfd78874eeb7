import MessageRuntime
import RPCCore

/// The JSON form of an RPC request, put together from what an HTTP request carries: members of
/// its JSON body, of its URL query, and of its path (`/workflows/{id}` → `workflow_id`).
struct RequestJSON {
    private(set) var members: [(key: String, value: JSONValue)] = []

    /// The value the request message is decoded from.
    var value: JSONValue { .object(members) }

    /// The members of a JSON body; an empty body is an empty object.
    static func body(_ bytes: [UInt8]) throws(RPCStatus) -> RequestJSON {
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return RequestJSON() }
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(bytes)
        } catch {
            throw RPCStatus(code: .invalidArgument, message: "the request body is not JSON: \(error)")
        }
        guard case .object(let members) = parsed else {
            throw RPCStatus(code: .invalidArgument, message: "the request body must be a JSON object")
        }
        return RequestJSON(members: members)
    }

    /// The members of a URL query (`statuses=A&statuses=B&page_size=50`): each value a string,
    /// percent-decoded (`+` is a space); a field in `repeatedFields`, or a key given twice,
    /// becomes an array.
    static func query(_ query: String?, repeatedFields: Set<String> = []) throws(RPCStatus) -> RequestJSON {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecoded(parts[0]), let value = percentDecoded(parts.count > 1 ? parts[1] : "") else {
                throw RPCStatus(code: .invalidArgument, message: "the query is not valid percent-encoded UTF-8: \(pair)")
            }
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(value)
        }
        var json = RequestJSON()
        for key in order {
            let strings = values[key] ?? []
            if strings.count == 1, !repeatedFields.contains(key) {
                json.members.append((key, .string(strings[0])))
            } else {
                json.members.append((key, .array(strings.map(JSONValue.string))))
            }
        }
        return json
    }

    /// Adds `field` from the URL path; the body or query may repeat it only with the same value.
    mutating func setPathField(_ field: String, to value: String) throws(RPCStatus) {
        if let given = members.first(where: { $0.key == field || $0.key == Self.camelCase(field) }) {
            guard given.value == .string(value) else {
                throw RPCStatus(code: .invalidArgument, message: "\(given.key) is \(value) in the path and differs in the request")
            }
            return
        }
        members.append((field, .string(value)))
    }

    /// Drops every member named `key`.
    mutating func removeMember(_ key: String) {
        members.removeAll { $0.key == key }
    }

    private static func camelCase(_ field: String) -> String {
        var result = ""
        var upper = false
        for character in field {
            if character == "_" {
                upper = true
            } else {
                result += upper ? character.uppercased() : String(character)
                upper = false
            }
        }
        return result
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(GRPCStatusMessage.hexValue), let low = iterator.next().flatMap(GRPCStatusMessage.hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
