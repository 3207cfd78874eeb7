/// How protoc-c and the generated Swift name things.
enum Naming {
    // MARK: protoc-c (`protoc-c/c_helpers.cc`, `c_message.cc`)

    /// The protoc-c struct or enum type of a fully qualified name: each piece in upper camel
    /// case, underscores dropped (`ToCamel`): `acme_corp.v1.snake_case_msg` →
    /// `AcmeCorp__V1__SnakeCaseMsg`.
    static func cType(_ fullName: String) -> String {
        fullName.split(separator: ".").map { piece in
            piece.split(separator: "_").map { word in word.prefix(1).uppercased() + word.dropFirst() }.joined()
        }.joined(separator: "__")
    }

    /// The prefix of protoc-c's functions and descriptors for a message or enum:
    /// `workflow.v1.LogEvent` → `workflow__v1__log_event`, `HTTPHeader` → `httpheader`.
    static func cFunctionPrefix(_ fullName: String) -> String {
        fullName.split(separator: ".").map { camelToLower($0) }.joined(separator: "__")
    }

    /// protoc-c's upper-case form of a name, for constants: `GRPC__HEALTH__V1__...`.
    static func cConstantPrefix(_ fullName: String) -> String {
        cFunctionPrefix(fullName).uppercased()
    }

    /// The struct member of a field: the name in lower case, with an underscore after a C or C++
    /// keyword (`FieldName`): `camelCase` → `camelcase`, `default` → `default_`.
    static func cField(_ protoName: String) -> String {
        let lower = protoName.lowercased()
        return cKeywords.contains(lower) ? lower + "_" : lower
    }

    /// The struct member of a field as Swift code spells it after a dot: backquoted where Swift
    /// reads the bare name as something else (`c.self` is `c` itself).
    static func cFieldInSwift(_ protoName: String) -> String {
        let name = cField(protoName)
        return name == "self" || name == "init" ? "`\(name)`" : name
    }

    /// The struct member that says which field of a oneof is set: `message_request` →
    /// `message_request_case`, `pickOne` → `pick_one_case`.
    static func cOneofCase(_ oneofName: String) -> String {
        camelToLower(Substring(oneofName)) + "_case"
    }

    /// The constant of one member of a oneof: `GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME`.
    static func cOneofConstant(message fullName: String, oneof oneofName: String, field fieldName: String) -> String {
        cConstantPrefix(fullName) + "__" + cConstantPrefix(oneofName) + "_" + cConstantPrefix(fieldName)
    }

    /// `HealthCheckResponse` → `health_check_response`, `HTTPHeader` → `httpheader`,
    /// `LOUD_ENUM` → `loud__enum`: an underscore before each upper-case letter that follows one
    /// that is not, then lower case (`CamelToLower`). protoc allows ASCII identifiers only.
    private static func camelToLower(_ name: Substring) -> String {
        var result = ""
        var previousIsUpper = true
        for character in name {
            if character.isUppercase, !previousIsUpper { result.append("_") }
            result += character.lowercased()
            previousIsUpper = character.isUppercase
        }
        return result
    }

    /// protoc-c's `kKeywordList`: C and C++ keywords, which it suffixes with `_` as members.
    private static let cKeywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class", "compl",
        "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
        "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
        "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_cast", "struct", "switch",
        "template", "this", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
        "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    ]

    // MARK: Swift

    /// A field or oneof name as a Swift property: `workflow_id` → `workflowID`, `page_token` →
    /// `pageToken`, `camelCase` kept; `id` after the first word is `ID`, as the Swift API
    /// guidelines spell it.
    static func property(_ protoName: String) -> String {
        member(lowerCamel(protoName))
    }

    /// A method's descriptor in its service's enum: `GetWorkflow` → `getWorkflow`,
    /// `URLFetch` → `urlFetch`; an underscore after the names the enum itself declares
    /// (`name`, `descriptor`).
    static func methodProperty(_ methodName: String) -> String {
        let property = lowerCamel(methodName)
        return ["name", "descriptor"].contains(property) ? property + "_" : member(property)
    }

    /// A message, enum or oneof type: the proto name, with an underscore after a name Swift
    /// gives a meaning to inside a type (`Type` → `Type_`).
    static func typeName(_ protoName: String) -> String {
        reservedTypeNames.contains(protoName) ? protoName + "_" : escaped(protoName)
    }

    /// A property, enum constant or oneof case: an underscore after a name that Swift or the
    /// generated type already uses (`self` → `self_`, `serializedBytes` → `serializedBytes_`),
    /// other keywords backquoted.
    private static func member(_ name: String) -> String {
        reservedMemberNames.contains(name) ? name + "_" : escaped(name)
    }

    /// Names no generated member can take: `self` and `init` cannot be declared even
    /// backquoted, `Type` and `Protocol` name metatypes, the others are members of
    /// ``ProtoMessage`` and ``ProtoEnum`` that a generated type declares (a constant named
    /// `rawValue` makes the enum's `RawRepresentable` conformance circular).
    private static let reservedMemberNames: Set<String> = [
        "self", "init", "Type", "Protocol", "serializedBytes", "serialize", "rawValue", "protoNames",
    ]

    /// Type names that mean something else after a dot (`Foo.Type`, `Foo.Protocol`), are taken
    /// by the generated code (`CMessage`, the codec's alias for the protoc-c struct), or that the
    /// generated code names unqualified: a message called `String` would shadow Swift's inside
    /// the namespace.
    private static let reservedTypeNames: Set<String> = [
        "Type", "Protocol", "Self", "Any", "CMessage",
        "String", "Bool", "Int32", "Int64", "UInt32", "UInt64", "UInt8", "Double", "Float",
        "ProtoMessage", "ProtoEnum", "MethodDescriptor", "ServiceDescriptor", "MethodInfo", "MessageDecodingError",
        "CCopy", "PackArena",
    ]

    /// `message_request` → `MessageRequest`, `pickOne` → `PickOne`.
    static func upperCamel(_ protoName: String) -> String {
        let camel = lowerCamel(protoName)
        return camel.prefix(1).uppercased() + camel.dropFirst()
    }

    /// The Swift constants of an enum's values, in order: lower camel case, without the enum's
    /// name in front when every value starts with it (`JOB_STATUS_PENDING` in `JobStatus` →
    /// `pending`, `HTTP_STATUS_OK` in `HTTPStatus` → `ok`), with `_` before a leading digit.
    ///
    /// The prefix is matched ignoring case and underscores, so acronyms in the enum's name need
    /// no rule of their own.
    static func enumCases(_ valueNames: [String], enumName: String) -> [String] {
        let prefixes = valueNames.map { enumNamePrefixLength(of: $0, enumName: enumName) }
        let strip = prefixes.allSatisfy { $0 != nil }
        return zip(valueNames, prefixes).map { valueName, prefixLength in
            let name = strip ? valueName.dropFirst(prefixLength ?? 0) : Substring(valueName)
            let camel = lowerCamel(name.lowercased())
            return member(camel.first?.isNumber == true ? "_" + camel : camel)
        }
    }

    /// How many characters of `valueName` spell `enumName` and the underscore after it, or nil
    /// when it does not start that way or nothing follows.
    private static func enumNamePrefixLength(of valueName: String, enumName: String) -> Int? {
        var expected = enumName.uppercased().filter { $0 != "_" }[...]
        var consumed = 0
        var rest = valueName[...]
        while let next = expected.first {
            guard let character = rest.popFirst() else { return nil }
            consumed += 1
            if character == "_" { continue }
            guard character == next else { return nil }
            expected.removeFirst()
        }
        guard rest.popFirst() == "_", !rest.isEmpty else { return nil }
        return consumed + 1
    }

    /// protoc's JSON name of a field: each `_` dropped and the letter after it capitalized
    /// (`workflow_id` → `workflowId`).
    static func jsonName(_ protoName: String) -> String {
        var result = ""
        var capitalizeNext = false
        for character in protoName {
            if character == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += character.uppercased()
                capitalizeNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// `snake_case` or `camelCase` → `lowerCamel`; a leading acronym is lowered as a whole
    /// (`URL` → `url`, `URLPath` → `urlPath`).
    private static func lowerCamel(_ protoName: String) -> String {
        let words = protoName.split(separator: "_")
        guard let first = words.first else { return protoName }
        let leadingCapitals = first.prefix(while: \.isUppercase).count
        let lowered = leadingCapitals > 1 && leadingCapitals < first.count ? leadingCapitals - 1 : max(leadingCapitals, 1)
        return first.prefix(lowered).lowercased() + first.dropFirst(lowered) + words.dropFirst().map { word in
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
