import Foundation
import SwiftMessageGenerator

// `generate-swift-messages`: writes the Swift message types of one `.proto` file from a
// descriptor set (`protoc --descriptor_set_out --include_imports --include_source_info`).
// Run by Scripts/generate-protos.sh; the work is SwiftGenerator's.

let usage = """
    usage: generate-swift-messages --descriptor-set FILE --file PROTO --namespace NAME --c-module MODULE
                                   [--access public|package] [--service-alias PROTO=NAME]... --output FILE
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("generate-swift-messages: \(message)\n".utf8))
    exit(1)
}

/// The command line: the generator's options and the two paths.
func parse(_ arguments: [String]) -> (options: GeneratorOptions, descriptorSet: String, output: String) {
    var values: [String: String] = [:]
    var aliases: [(file: String, namespace: String)] = []
    var remaining = arguments[...]
    while let flag = remaining.popFirst() {
        guard flag.hasPrefix("--"), let value = remaining.popFirst() else { fail("\(flag): expected --option VALUE\n\(usage)") }
        switch flag {
        case "--descriptor-set", "--file", "--namespace", "--c-module", "--access", "--output":
            values[flag] = value
        case "--service-alias":
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { fail("--service-alias \(value): expected PROTO=NAME") }
            aliases.append((parts[0], parts[1]))
        default:
            fail("unknown option \(flag)\n\(usage)")
        }
    }
    func required(_ flag: String) -> String {
        guard let value = values[flag] else { fail("missing \(flag)\n\(usage)") }
        return value
    }
    let access = values["--access"] ?? "public"
    guard ["public", "package"].contains(access) else { fail("--access must be public or package") }
    let options = GeneratorOptions(
        file: required("--file"), namespace: required("--namespace"), cModule: required("--c-module"),
        access: access, serviceAliases: aliases
    )
    return (options, required("--descriptor-set"), required("--output"))
}

let (options, descriptorSetPath, outputPath) = parse(Array(CommandLine.arguments.dropFirst()))
guard let descriptorSet = FileManager.default.contents(atPath: descriptorSetPath) else {
    fail("cannot read \(descriptorSetPath)")
}
do {
    let files = try DescriptorSetParser.parse([UInt8](descriptorSet))
    let source = try SwiftGenerator.generate(files: files, options: options)
    try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath))
} catch {
    fail("\(error)")
}
