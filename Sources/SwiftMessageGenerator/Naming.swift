/// How protoc-c and the generated Swift name things.
enum Naming {
    // MARK: protoc-c (`protoc-c/c_helpers.cc`)

    /// The protoc-c struct or enum type of a fully qualified name:
    /// `workflow.v1.LogEvent` → `Workflow__V1__LogEvent`.
    static func cType(_ fullName: String) -> String {
        fullName.split(separator: ".").map { piece in
            piece.prefix(1).uppercased() + piece.dropFirst()
        }.joined(separator: "__")
    }

    /// The prefix of protoc-c's functions for a message: `workflow.v1.LogEvent` →
    /// `workflow__v1__log_event`.
    static func cFunctionPrefix(_ fullName: String) -> String {
        fullName.split(separator: ".").map { camelToLower($0) }.joined(separator: "__")
    }

    /// protoc-c's upper-case form of a name, for constants: `GRPC__HEALTH__V1__...`.
    static func cConstantPrefix(_ fullName: String) -> String {
        cFunctionPrefix(fullName).uppercased()
    }

    /// `HealthCheckResponse` → `health_check_response`: an underscore before every upper-case
    /// letter but the first, then lower case.
    private static func camelToLower(_ name: Substring) -> String {
        var result = ""
        for (index, character) in name.enumerated() {
            if character.isUppercase, index > 0 { result.append("_") }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }

    // MARK: Swift

    /// A field or oneof name as a Swift property: `workflow_id` → `workflowID`, `page_token` →
    /// `pageToken`; `id` after the first word is `ID`, as the Swift API guidelines spell it.
    static func property(_ snakeName: String) -> String {
        escaped(lowerCamel(snakeName))
    }

    /// `message_request` → `MessageRequest`.
    static func upperCamel(_ snakeName: String) -> String {
        let camel = lowerCamel(snakeName)
        return camel.prefix(1).uppercased() + camel.dropFirst()
    }

    /// The Swift constant of an enum value: the enum's upper-snake prefix is dropped when every
    /// value carries it (`JOB_STATUS_PENDING` in `JobStatus` → `pending`).
    static func enumCase(_ valueName: String, prefix: String) -> String {
        var name = Substring(valueName)
        if !prefix.isEmpty, name.hasPrefix(prefix), name.count > prefix.count {
            name = name.dropFirst(prefix.count)
        }
        let camel = lowerCamel(name.lowercased())
        return escaped(camel.first?.isNumber == true ? "_" + camel : camel)
    }

    /// The prefix ``enumCase(_:prefix:)`` drops from an enum's values: the enum's name in upper
    /// snake case (`JobStatus` → `JOB_STATUS_`) when every value starts with it, else none.
    static func enumPrefix(of enumeration: EnumDescriptor) -> String {
        let prefix = camelToLower(Substring(enumeration.name)).uppercased() + "_"
        return enumeration.values.allSatisfy { $0.name.hasPrefix(prefix) } ? prefix : ""
    }

    private static func lowerCamel(_ snakeName: String) -> String {
        let words = snakeName.split(separator: "_")
        guard let first = words.first else { return snakeName }
        return first.lowercased() + words.dropFirst().map { word in
            word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    /// Backquotes a Swift keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "package", "consume", "copy", "borrowing", "consuming",
    ]
}
