import Testing
@testable import SwiftMessageGenerator

@Suite("Naming")
struct NamingTests {
    /// Every message and enum of the naming proto, nested ones included, with whether it is
    /// top-level (protoc-c declares pack and unpack functions for those only).
    static func declarations() throws -> (messages: [(MessageDescriptor, isTopLevel: Bool)], enums: [EnumDescriptor]) {
        let file = try #require(try ProtoCompilers.parse(TestProtos.naming).first { $0.name == "acme/naming.proto" })
        var messages: [(MessageDescriptor, isTopLevel: Bool)] = []
        var enums = file.enums
        func add(_ message: MessageDescriptor, isTopLevel: Bool) {
            messages.append((message, isTopLevel))
            enums += message.nestedEnums
            for nested in message.nestedMessages { add(nested, isTopLevel: false) }
        }
        for message in file.messages { add(message, isTopLevel: true) }
        return (messages, enums)
    }

    static func header() throws -> String {
        try ProtoCompilers.protocCHeader("acme/naming.proto", of: TestProtos.naming)
    }

    @Test func cTypesAndFunctionsAreTheOnesProtocCDeclares() throws {
        let (messages, enums) = try Self.declarations()
        #expect(messages.count == 6)
        #expect(enums.count == 3)
        var names: [String] = []
        for (message, isTopLevel) in messages {
            let functions = isTopLevel ? ["__init", "__descriptor", "__get_packed_size", "__pack", "__unpack", "__free_unpacked"] : ["__init", "__descriptor"]
            names += [Naming.cType(message.fullName), Naming.cConstantPrefix(message.fullName) + "__INIT"]
            names += functions.map { Naming.cFunctionPrefix(message.fullName) + $0 }
        }
        for enumeration in enums {
            names += [Naming.cType(enumeration.fullName), Naming.cFunctionPrefix(enumeration.fullName) + "__descriptor"]
        }
        let declared = try Self.header().cIdentifiers
        #expect(names.filter { !declared.contains($0) } == [])
    }

    @Test func cMembersAreTheOnesProtocCDeclares() throws {
        let header = try Self.header()
        let (messages, _) = try Self.declarations()
        for (message, _) in messages {
            let members = try #require(Self.structBody(Naming.cType(message.fullName), in: header), "struct \(message.fullName)").cIdentifiers
            var names: [String] = []
            for field in message.fields {
                names.append(Naming.cField(field.name))
                if field.isRepeated { names.append("n_" + Naming.cField(field.name)) }
            }
            names += message.oneofNames.map(Naming.cOneofCase)
            #expect(names.filter { !members.contains($0) } == [], "members of \(message.fullName)")
        }
    }

    @Test func cOneofConstantsAreTheOnesProtocCDeclares() throws {
        let declared = try Self.header().cIdentifiers
        let (messages, _) = try Self.declarations()
        var constants: [String] = []
        for (message, _) in messages {
            for field in message.fields {
                guard let index = field.oneofIndex else { continue }
                constants.append(Naming.cOneofConstant(message: message.fullName, oneof: message.oneofNames[index], field: field.name))
            }
        }
        #expect(constants.count == 5)
        #expect(constants.filter { !declared.contains($0) } == [])
    }

    /// The text between `struct <name>` and the `};` that closes it.
    static func structBody(_ cType: String, in header: String) -> Substring? {
        guard let start = header.range(of: "struct  \(cType)\n{")?.upperBound ?? header.range(of: "struct _\(cType)\n{")?.upperBound,
              let end = header[start...].range(of: "\n};")?.lowerBound else { return nil }
        return header[start..<end]
    }

    @Test(arguments: [
        ("acme_corp.tools.v1alpha.HealthCheckResponse", "AcmeCorp__Tools__V1alpha__HealthCheckResponse",
         "acme_corp__tools__v1alpha__health_check_response"),
        ("acme_corp.tools.v1alpha.HTTPHeader", "AcmeCorp__Tools__V1alpha__HTTPHeader", "acme_corp__tools__v1alpha__httpheader"),
        ("acme_corp.tools.v1alpha.URLRef2Go", "AcmeCorp__Tools__V1alpha__URLRef2Go", "acme_corp__tools__v1alpha__urlref2_go"),
        ("acme_corp.tools.v1alpha.snake_case_msg", "AcmeCorp__Tools__V1alpha__SnakeCaseMsg", "acme_corp__tools__v1alpha__snake_case_msg"),
        ("acme_corp.tools.v1alpha.LOUD_ENUM", "AcmeCorp__Tools__V1alpha__LOUDENUM", "acme_corp__tools__v1alpha__loud__enum"),
        ("workflow.v1.LogEvent", "Workflow__V1__LogEvent", "workflow__v1__log_event"),
    ])
    func cNamesOfAFullName(fullName: String, cType: String, functionPrefix: String) {
        #expect(Naming.cType(fullName) == cType)
        #expect(Naming.cFunctionPrefix(fullName) == functionPrefix)
        #expect(Naming.cConstantPrefix(fullName) == functionPrefix.uppercased())
    }

    @Test(arguments: [
        ("workflow_id", "workflowID"),
        ("id", "id"),
        ("user_ids", "userIds"),
        ("page_token", "pageToken"),
        ("camelCaseName", "camelCaseName"),
        ("fileContainingSymbol", "fileContainingSymbol"),
        ("URL", "url"),
        ("default", "`default`"),
        ("class", "`class`"),
        ("protocol", "`protocol`"),
        ("type", "type"),
        ("self", "self_"),
        ("init", "init_"),
        ("serialized_bytes", "serializedBytes_"),
        ("hash_value", "hashValue"),
    ])
    func swiftPropertyNames(protoName: String, swiftName: String) {
        #expect(Naming.property(protoName) == swiftName)
    }

    @Test(arguments: [
        ("message_request", "MessageRequest"),
        ("pickOne", "PickOne"),
        ("kind", "Kind"),
    ])
    func swiftTypeNamesOfOneofs(protoName: String, swiftName: String) {
        #expect(Naming.upperCamel(protoName) == swiftName)
    }

    @Test(arguments: [
        ("Workflow", "Workflow"),
        ("snake_case_msg", "snake_case_msg"),
        ("Type", "Type_"),
        ("Protocol", "Protocol_"),
        ("Any", "Any_"),
        ("CMessage", "CMessage_"),
        ("String", "String_"),
        ("MethodDescriptor", "MethodDescriptor_"),
        ("class", "`class`"),
    ])
    func swiftTypeNames(protoName: String, swiftName: String) {
        #expect(Naming.typeName(protoName) == swiftName)
    }

    @Test(arguments: [
        ("default", "default_"),
        ("register", "register_"),
        ("camelCaseName", "camelcasename"),
        ("workflow_id", "workflow_id"),
    ])
    func cMemberNames(protoName: String, cName: String) {
        #expect(Naming.cField(protoName) == cName)
    }

    @Test func cMembersSwiftCannotReadBareAreBackquoted() {
        #expect(Naming.cFieldInSwift("self") == "`self`")
        #expect(Naming.cFieldInSwift("init") == "`init`")
        #expect(Naming.cFieldInSwift("default") == "default_")
        #expect(Naming.cFieldInSwift("protocol") == "protocol")
    }

    @Test func enumValuesLoseTheEnumNameWhenEveryValueHasIt() {
        #expect(Naming.enumCases(["JOB_STATUS_UNSPECIFIED", "JOB_STATUS_PENDING"], enumName: "JobStatus") == ["unspecified", "pending"])
        #expect(Naming.enumCases(["HTTP_STATUS_OK", "HTTP_STATUS_NOT_FOUND"], enumName: "HTTPStatus") == ["ok", "notFound"])
        #expect(Naming.enumCases(["LOUD_ENUM_A"], enumName: "LOUD_ENUM") == ["a"])
    }

    @Test func enumValuesKeepTheirNameWhenOneLacksThePrefix() {
        #expect(Naming.enumCases(["UNKNOWN", "SERVING", "NOT_SERVING"], enumName: "ServingStatus") == ["unknown", "serving", "notServing"])
        #expect(Naming.enumCases(["KIND_UNSPECIFIED", "CIRCLE"], enumName: "Kind") == ["kindUnspecified", "circle"])
        #expect(Naming.enumCases(["KIND", "KIND_CIRCLE"], enumName: "Kind") == ["kind", "kindCircle"], "nothing after the prefix")
    }

    @Test func enumValuesThatAreKeywordsOrStartWithADigit() {
        #expect(Naming.enumCases(["HTTP_STATUS_404", "HTTP_STATUS_2XX"], enumName: "HTTPStatus") == ["_404", "_2xx"])
        #expect(Naming.enumCases(["MODE_DEFAULT", "MODE_IN"], enumName: "Mode") == ["`default`", "`in`"])
        #expect(Naming.enumCases(["MODE_SELF", "MODE_RAW_VALUE", "MODE_PROTO_NAMES"], enumName: "Mode") == ["self_", "rawValue_", "protoNames_"])
    }
}
