/// One stored property of a generated message: a field, or a whole `oneof`, with how it is
/// declared, documented and copied from and to C.
struct FieldPlan {
    /// A `oneof`: one optional Swift enum with a case per member field.
    struct Oneof {
        struct Member {
            var protoName: String
            var number: Int32
            /// A `bytes` field: base64 in JSON.
            var isBytes: Bool
            var caseName: String
            var comment: String
            var coding: ValueCoding
            /// protoc-c's case constant, e.g. `..._MESSAGE_REQUEST_FILE_BY_FILENAME`.
            var cConstant: String
            /// Copies the member out of the C struct `c`.
            var copyExpression: String
        }

        var protoName: String
        var typeName: String
        var comment: String
        var members: [Member]
    }

    var swiftName: String
    var swiftType: String
    var defaultValue: String
    /// The field's proto name (the oneof's, for a oneof) and number (0 for a oneof).
    var protoName: String
    var number: Int32 = 0
    /// How the value is written in JSON: through its ``ProtoJSONCodable`` conformance, as an
    /// optional message (left out when `nil`), or as base64 bytes.
    var json: JSONForm = .value
    /// The declaration's doc comment.
    var comment: String
    /// The comment as one line, for the initializer's parameter list.
    var summary: String
    /// The Swift value, from the C struct `c`.
    var copyExpression: String
    /// Statements that store the value into the C struct pointer `c`, allocating in `arena`.
    var fillStatements: [String]
    var oneof: Oneof?

    enum JSONForm {
        case value
        case optionalMessage
        case bytes
        case repeatedBytes
    }

    /// The properties of `message`, in field order; a `oneof` takes the place of its first member.
    static func plans(for message: MessageDescriptor, types: TypeTable) throws(GeneratorError) -> [FieldPlan] {
        var plans: [FieldPlan] = []
        var writtenOneofs: Set<Int> = []
        for field in message.fields {
            let context = "\(message.fullName).\(field.name)"
            if field.isProto3Optional {
                throw GeneratorError("\(context): proto3 `optional` fields are not supported yet")
            }
            if let index = field.oneofIndex {
                if writtenOneofs.insert(index).inserted {
                    plans.append(try oneofPlan(index, in: message, types: types))
                }
                continue
            }
            plans.append(try plan(for: field, context: context, types: types))
        }
        return plans
    }

    private static func plan(for field: FieldDescriptor, context: String, types: TypeTable) throws(GeneratorError) -> FieldPlan {
        let name = Naming.property(field.name)
        let cName = Naming.cField(field.name)
        let cMember = Naming.cFieldInSwift(field.name)
        let cField = "c.\(cMember)"
        let comment = field.comment.isEmpty ? "The `\(field.name)` field." : field.comment
        let summary = comment.split(separator: "\n").joined(separator: " ")
        if field.isRepeated, field.kind == .message, let entry = try? types.lookUp(field.typeName, for: context), entry.message?.isMapEntry == true {
            return try mapPlan(field, entry: entry, name: name, comment: comment, summary: summary, context: context, types: types)
        }
        let coding = try ValueCoding.of(field, types: types, context: context)
        if field.isRepeated {
            let copy: String
            let fill: String
            if field.kind == .message {
                let cType = Naming.cType(try types.lookUp(field.typeName, for: context).fullName)
                copy = "try \(coding.swiftType).copy(array: UnsafeRawPointer(\(cField)), count: c.n_\(cName))"
                fill = "c.pointee.\(cMember) = arena.messages(self.\(name))?.bindMemory(to: UnsafeMutablePointer<\(cType)>?.self, capacity: self.\(name).count)"
            } else {
                copy = Self.tried("CCopy.array(\(cField), count: c.n_\(cName)) \(Self.closure("element", coding.fromC("element"), coding.canThrow))", coding.canThrow)
                // Strings and bytes are copied into the arena; other values convert on their own.
                let arena = [.string, .bytes].contains(field.kind) ? "arena" : "_"
                fill = "c.pointee.\(cMember) = arena.array(self.\(name)) { value, \(arena) in \(coding.toC("value")) }"
            }
            return FieldPlan(
                swiftName: name, swiftType: "[\(coding.swiftType)]", defaultValue: "[]", protoName: field.name, number: field.number,
                json: field.kind == .bytes ? .repeatedBytes : .value, comment: comment, summary: summary,
                copyExpression: copy, fillStatements: ["c.pointee.n_\(cName) = self.\(name).count", fill]
            )
        }
        if field.kind == .message {
            return FieldPlan(
                swiftName: name, swiftType: coding.swiftType + "?", defaultValue: "nil", protoName: field.name, number: field.number,
                json: .optionalMessage, comment: comment + "\n\n`nil` when absent.", summary: summary,
                copyExpression: Self.tried(coding.fromC(cField), coding.canThrow),
                fillStatements: ["c.pointee.\(cMember) = \(coding.toC("self." + name))"]
            )
        }
        return FieldPlan(
            swiftName: name, swiftType: coding.swiftType, defaultValue: coding.defaultValue, protoName: field.name, number: field.number,
            json: field.kind == .bytes ? .bytes : .value, comment: comment, summary: summary,
            copyExpression: Self.tried(coding.fromC(cField), coding.canThrow),
            fillStatements: ["c.pointee.\(cMember) = \(coding.toC("self." + name))"]
        )
    }

    /// `expression`, after a `try` when it can throw.
    static func tried(_ expression: String, _ canThrow: Bool) -> String {
        canThrow ? "try " + expression : expression
    }

    /// A closure of one `parameter` returning `body`, typed to throw `CCopy.InvalidUTF8` when
    /// `body` can (Swift infers `any Error` for an untyped throwing closure).
    static func closure(_ parameter: String, _ body: String, _ canThrow: Bool) -> String {
        canThrow ? "{ \(parameter) throws(CCopy.InvalidUTF8) in try \(body) }" : "{ \(parameter) in \(body) }"
    }

    /// A `map<K, V>`: a dictionary, written to C as entries sorted by key.
    private static func mapPlan(
        _ field: FieldDescriptor, entry: TypeTable.Entry, name: String, comment: String, summary: String,
        context: String, types: TypeTable
    ) throws(GeneratorError) -> FieldPlan {
        guard let entryMessage = entry.message, entryMessage.fields.count == 2,
              let keyField = entryMessage.fields.first(where: { $0.number == 1 }),
              let valueField = entryMessage.fields.first(where: { $0.number == 2 })
        else {
            throw GeneratorError("\(context): malformed map entry")
        }
        let key = try ValueCoding.of(keyField, types: types, context: context)
        var value = try ValueCoding.of(valueField, types: types, context: context)
        if valueField.kind == .message {
            let fromC = value.fromC
            let defaultValue = value.defaultValue
            value.fromC = { "\(fromC($0)) ?? \(defaultValue)" }
        }
        let cName = Naming.cField(field.name)
        let cMember = Naming.cFieldInSwift(field.name)
        let cEntry = Naming.cType(entry.fullName)
        let initialize = Naming.cFunctionPrefix(entry.fullName) + "__init"
        return FieldPlan(
            swiftName: name, swiftType: "[\(key.swiftType): \(value.swiftType)]", defaultValue: "[:]", protoName: field.name, number: field.number,
            comment: comment, summary: summary,
            copyExpression: Self.tried(
                "CCopy.map(c.\(cMember), count: c.n_\(cName)) \(Self.closure("entry", "(\(key.fromC("entry.key")), \(value.fromC("entry.value")))", key.canThrow || value.canThrow))",
                key.canThrow || value.canThrow
            ),
            fillStatements: [
                "c.pointee.n_\(cName) = self.\(name).count",
                "c.pointee.\(cMember) = arena.mapEntries(self.\(name), initialize: { (entry: UnsafeMutablePointer<\(cEntry)>) in \(initialize)(entry) }) { entry, key, value, arena in",
                "    entry.pointee.key = \(key.toC("key"))",
                "    entry.pointee.value = \(value.toC("value"))",
                "}",
            ]
        )
    }

    private static func oneofPlan(_ index: Int, in message: MessageDescriptor, types: TypeTable) throws(GeneratorError) -> FieldPlan {
        let protoName = message.oneofNames[index]
        let typeName = Naming.typeName(Naming.upperCamel(protoName))
        let name = Naming.property(protoName)
        var members: [Oneof.Member] = []
        var fill = ["switch self.\(name) {"]
        for field in message.fields where field.oneofIndex == index {
            let context = "\(message.fullName).\(field.name)"
            guard !field.isRepeated else { throw GeneratorError("\(context): repeated oneof member") }
            let coding = try ValueCoding.of(field, types: types, context: context)
            let caseName = Naming.property(field.name)
            let constant = Naming.cOneofConstant(message: message.fullName, oneof: protoName, field: field.name)
            let cMember = Naming.cFieldInSwift(field.name)
            var copy = coding.fromC("c.\(cMember)")
            if field.kind == .message { copy += " ?? \(coding.defaultValue)" }
            copy = Self.tried(copy, coding.canThrow)
            members.append(Oneof.Member(
                protoName: field.name, number: field.number, isBytes: field.kind == .bytes, caseName: caseName, comment: field.comment, coding: coding, cConstant: constant, copyExpression: copy
            ))
            fill += [
                "case .\(caseName.trimmingBackquotes)(let value)?:",
                "    c.pointee.\(Naming.cOneofCase(protoName)) = \(constant)",
                "    c.pointee.\(cMember) = \(coding.toC("value"))",
            ]
        }
        fill += ["case nil:", "    break", "}"]
        let comment = message.oneofComments[index].isEmpty
            ? "The `\(protoName)` oneof: which of its fields is set, if any."
            : message.oneofComments[index]
        return FieldPlan(
            swiftName: name, swiftType: "\(typeName)?", defaultValue: "nil", protoName: protoName, comment: comment,
            summary: comment.split(separator: "\n").joined(separator: " "),
            copyExpression: Self.tried("Self.copy\(typeName)(c)", members.contains { $0.coding.canThrow }), fillStatements: fill,
            oneof: Oneof(protoName: protoName, typeName: typeName, comment: message.oneofComments[index], members: members)
        )
    }
}
