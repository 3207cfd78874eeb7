import Foundation
import Testing
@testable import SwiftMessageGenerator

@Suite("SwiftGenerator")
struct SwiftGeneratorTests {
    /// The three runs of Scripts/generate-protos.sh: options and the committed output.
    static let committedOutputs: [(options: GeneratorOptions, path: String)] = [
        (GeneratorOptions(file: "workflow/v1/workflow.proto", namespace: "WorkflowV1", cModule: "CWorkflowProtos"),
         "Sources/WorkflowMessages/Generated/WorkflowV1.pb.swift"),
        (GeneratorOptions(file: "grpc/health/v1/health.proto", namespace: "HealthV1", cModule: "CGRPCHealth", access: "package"),
         "Sources/GRPCHealth/Generated/HealthV1.pb.swift"),
        (GeneratorOptions(
            file: "grpc/reflection/v1alpha/reflection.proto", namespace: "ReflectionV1Alpha", cModule: "CGRPCReflection",
            access: "package", serviceAliases: [(file: "grpc/reflection/v1/reflection.proto", namespace: "ReflectionV1")]
         ), "Sources/GRPCReflection/Generated/ReflectionV1Alpha.pb.swift"),
    ]

    static let workflowOptions = committedOutputs[0].options

    @Test func outputEqualsTheCommittedFiles() throws {
        let files = try ProtoCompilers.repositoryDescriptorSet()
        for (options, path) in Self.committedOutputs {
            let committed = try String(contentsOf: ProtoCompilers.packageRoot.appendingPathComponent(path), encoding: .utf8)
            let generated = try SwiftGenerator.generate(files: files, options: options)
            #expect(Self.firstDifference(generated, committed) == nil, "\(path) differs from the generator's output: run Scripts/generate-protos.sh")
        }
    }

    /// The first line where `generated` and `committed` differ, or nil when they are equal.
    static func firstDifference(_ generated: String, _ committed: String) -> String? {
        guard generated != committed else { return nil }
        let generatedLines = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let committedLines = committed.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(generatedLines.count, committedLines.count) {
            let generatedLine = index < generatedLines.count ? generatedLines[index] : "(end of file)"
            let committedLine = index < committedLines.count ? committedLines[index] : "(end of file)"
            if generatedLine != committedLine {
                return "line \(index + 1): generated \"\(generatedLine)\", committed \"\(committedLine)\""
            }
        }
        return "same lines, different bytes"
    }

    @Test func generatedSwiftNamesOnlyWhatProtocCDeclares() throws {
        let files = try ProtoCompilers.parse(TestProtos.naming)
        let swift = try SwiftGenerator.generate(files: files, options: GeneratorOptions(file: "acme/naming.proto", namespace: "Acme", cModule: "CAcme"))
        let declared = try ProtoCompilers.protocCHeader("acme/naming.proto", of: TestProtos.naming).cIdentifiers
        let used = Self.cNames(in: swift)
        #expect(used.isSuperset(of: ["default_", "n_register_", "camelcasename", "pick_one_case", "n_counters_by_name"]))
        #expect(used.filter { !declared.contains($0) }.sorted() == [])
    }

    /// The C names in generated Swift: protoc-c's types, functions and constants (all with
    /// `__`) and the struct members read through `c.` or written through `c.pointee.`
    /// (backquoted or not).
    static func cNames(in swift: String) -> Set<String> {
        var names = swift.cIdentifiers.filter { $0.contains("__") }
        for match in swift.matches(of: /\bc\.(?:pointee\.)?`?([A-Za-z_][A-Za-z0-9_]*)/) {
            names.insert(String(match.1))
        }
        return names
    }
}

@Suite("SwiftGenerator: adding fields and unsupported constructs")
struct SwiftGeneratorChangeTests {
    /// workflow.proto with `fields` added at the end of `message Step`.
    static func workflowProto(addingToStep fields: String) throws -> String {
        let original = try String(contentsOf: ProtoCompilers.packageRoot.appendingPathComponent("Protos/workflow/v1/workflow.proto"), encoding: .utf8)
        let step = try #require(original.range(of: "message Step {"))
        let end = try #require(original[step.upperBound...].range(of: "\n}\n"))
        return original.replacingCharacters(in: end.lowerBound..<end.lowerBound, with: "\n" + fields)
    }

    static func generateWorkflow(_ proto: String) throws -> String {
        let files = try ProtoCompilers.parse(["workflow/v1/workflow.proto": proto])
        return try SwiftGenerator.generate(files: files, options: SwiftGeneratorTests.workflowOptions)
    }

    @Test func addedFieldsAppearInTheStructInitCopyAndFill() throws {
        let added = """
              string note = 99;
              repeated string tags = 100;
              map<string, int32> weights = 101;
            """
        let proto = try Self.workflowProto(addingToStep: added)
        let before = try Self.generateWorkflow(Self.workflowProto(addingToStep: "")).split(separator: "\n", omittingEmptySubsequences: false)
        let after = try Self.generateWorkflow(proto).split(separator: "\n", omittingEmptySubsequences: false)
        var inserted: [String] = []
        var removed: [String] = []
        for change in after.difference(from: before) {
            switch change {
            case .insert(_, let line, _): inserted.append(line.trimmingCharacters(in: .whitespaces))
            case .remove(_, let line, _): removed.append(line.trimmingCharacters(in: .whitespaces))
            }
        }
        #expect(inserted == [
            // The struct's properties.
            "/// The `note` field.", "public var note: String", "",
            "/// The `tags` field.", "public var tags: [String]", "",
            "/// The `weights` field.", "public var weights: [String: Int32]", "",
            // The memberwise initializer: its documentation, parameters and assignments.
            "///   - note: The `note` field.", "///   - tags: The `tags` field.", "///   - weights: The `weights` field.",
            "attempt: Int32 = 0,", "note: String = \"\",", "tags: [String] = [],", "weights: [String: Int32] = [:]",
            "self.note = note", "self.tags = tags", "self.weights = weights",
            // init(copying:) and fill, with protoc-c's member and entry names.
            // Strings are checked for UTF-8 and name their field when they are not.
            "attempt: c.attempt,",
            "note: try CCopy.string(c.note, field: \"workflow.v1.Step.note\"),",
            "tags: try CCopy.array(c.tags, count: c.n_tags) { element throws(CCopy.InvalidUTF8) in try CCopy.string(element, field: \"workflow.v1.Step.tags\") },",
            "weights: try CCopy.map(c.weights, count: c.n_weights) { entry throws(CCopy.InvalidUTF8) in try (CCopy.string(entry.key, field: \"workflow.v1.Step.weights\"), entry.value) }",
            "c.pointee.note = arena.cString(self.note)",
            "c.pointee.n_tags = self.tags.count",
            "c.pointee.tags = arena.array(self.tags) { value, arena in arena.cString(value) }",
            "c.pointee.n_weights = self.weights.count",
            "c.pointee.weights = arena.mapEntries(self.weights, initialize: { (entry: UnsafeMutablePointer<Workflow__V1__Step__WeightsEntry>) in workflow__v1__step__weights_entry__init(entry) }) { entry, key, value, arena in",
            "entry.pointee.key = arena.cString(key)",
            "entry.pointee.value = value",
            "}",
            // The JSON mapping: written under the proto names, read under either name form,
            // each at most once, null for the default.
            "writer.name(\"note\")", "self.note.writeProtoJSON(to: &writer)",
            "writer.name(\"tags\")", "self.tags.writeProtoJSON(to: &writer)",
            "writer.name(\"weights\")", "self.weights.writeProtoJSON(to: &writer)",
            "case \"note\":", "try ProtoJSON.markSet(99, in: &seen, key: key, at: path)", "if case .null = member { continue }",
            "self.note = try String(protoJSON: member, at: ProtoJSON.path(path, key))",
            "case \"tags\":", "try ProtoJSON.markSet(100, in: &seen, key: key, at: path)", "if case .null = member { continue }",
            "self.tags = try [String](protoJSON: member, at: ProtoJSON.path(path, key))",
            "case \"weights\":", "try ProtoJSON.markSet(101, in: &seen, key: key, at: path)", "if case .null = member { continue }",
            "self.weights = try [String: Int32](protoJSON: member, at: ProtoJSON.path(path, key))",
        ])
        #expect(removed.sorted() == ["attempt: Int32 = 0", "attempt: c.attempt"], "only the last argument gains a comma")

        let declared = try ProtoCompilers.protocCHeader("workflow/v1/workflow.proto", of: ["workflow/v1/workflow.proto": proto]).cIdentifiers
        let used = SwiftGeneratorTests.cNames(in: inserted.joined(separator: "\n"))
        #expect(used.isSuperset(of: ["note", "tags", "n_tags", "weights", "n_weights", "Workflow__V1__Step__WeightsEntry"]))
        #expect(used.filter { !declared.contains($0) }.sorted() == [])
    }

    static func generationError(_ files: [String: String], generating file: String) throws -> GeneratorError? {
        let parsed = try ProtoCompilers.parse(files)
        return #expect(throws: GeneratorError.self) {
            try SwiftGenerator.generate(files: parsed, options: GeneratorOptions(file: file, namespace: "Test", cModule: "CTest"))
        }
    }

    @Test func oneofMemberCommentsSitAtTheirCasesIndentation() throws {
        let files = try ProtoCompilers.parse(["pick.proto": """
            syntax = "proto3";
            package pick;
            message Choice {
              oneof pick {
                // The first line of a member's comment,
                // and its second line.
                string word = 1;
                int32 number = 2;
              }
            }
            """])
        let swift = try SwiftGenerator.generate(files: files, options: GeneratorOptions(file: "pick.proto", namespace: "Pick", cModule: "CPick"))
        #expect(swift.contains("""
                    /// The first line of a member's comment,
                    /// and its second line.
                    case word(String)
                    /// `number`.
                    case number(Int32)
            """))
    }

    @Test func negativeEnumValuesConvertWithoutTrapping() throws {
        let files = try ProtoCompilers.parse(["signed.proto": """
            syntax = "proto3";
            package signed;
            enum Delta { DELTA_ZERO = 0; DELTA_DOWN = -1; }
            """])
        let swift = try SwiftGenerator.generate(files: files, options: GeneratorOptions(file: "signed.proto", namespace: "Signed", cModule: "CSigned"))
        // protoc-c's enum imports with a signed raw value when a value is negative.
        #expect(swift.contains("self.init(rawValue: Int32(truncatingIfNeeded: value.rawValue))"))
        #expect(swift.contains("(rawValue: .init(truncatingIfNeeded: rawValue))"))
        #expect(swift.contains("public static let down = Delta(rawValue: -1)"))
    }

    @Test func proto2FilesAreRejected() throws {
        let error = try Self.generationError(["old.proto": """
            syntax = "proto2";
            message Old { optional string name = 1; }
            """], generating: "old.proto")
        #expect(error?.description == "old.proto: only proto3 files are supported")
    }

    @Test func proto3OptionalIsRejected() throws {
        let error = try Self.generationError(["presence.proto": """
            syntax = "proto3";
            package presence;
            message Config { optional int32 retries = 1; }
            """], generating: "presence.proto")
        #expect(error?.description == "presence.Config.retries: proto3 `optional` fields are not supported yet")
    }

    @Test func typesFromAnotherFileAreRejected() throws {
        let error = try Self.generationError([
            "base.proto": "syntax = \"proto3\";\npackage base;\nmessage Id { string value = 1; }\n",
            "user.proto": "syntax = \"proto3\";\npackage user;\nimport \"base.proto\";\nmessage User { base.Id id = 1; }\n",
        ], generating: "user.proto")
        #expect(error?.description == "user.User.id: type .base.Id is not declared in the generated file")
    }

    @Test func groupsAreRejected() {
        // protoc writes groups for proto2 only, which is rejected first: a proto3 file with a
        // group field is built by hand.
        var group = FieldDescriptor()
        group.name = "result"
        group.number = 1
        group.kind = .group
        var message = MessageDescriptor()
        message.name = "Search"
        message.fullName = "legacy.Search"
        message.fields = [group]
        var file = FileDescriptor()
        file.name = "legacy.proto"
        file.package = "legacy"
        file.syntax = "proto3"
        file.messages = [message]
        let error = #expect(throws: GeneratorError.self) {
            try SwiftGenerator.generate(files: [file], options: GeneratorOptions(file: "legacy.proto", namespace: "Legacy", cModule: "CLegacy"))
        }
        #expect(error?.description == "legacy.Search.result: groups are not supported")
    }

    @Test func aFileMissingFromTheSetIsRejected() {
        let error = #expect(throws: GeneratorError.self) {
            try SwiftGenerator.generate(files: [], options: SwiftGeneratorTests.workflowOptions)
        }
        #expect(error?.description == "workflow/v1/workflow.proto is not in the descriptor set")
    }
}
