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
            #expect(generated == committed, "\(path) differs from the generator's output: run Scripts/generate-protos.sh")
        }
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
    /// `__`) and the struct members read through `c.` or written through `c.pointee.`.
    static func cNames(in swift: String) -> Set<String> {
        var names = swift.cIdentifiers.filter { $0.contains("__") }
        for match in swift.matches(of: /\bc\.(?:pointee\.)?([A-Za-z_][A-Za-z0-9_]*)/) {
            names.insert(String(match.1))
        }
        return names
    }
}
