import Foundation
import SwiftMessageGenerator

/// Runs the real `protoc` and `protoc-c` on `.proto` text, in a temporary directory per call.
///
/// Both come from Debian's protobuf-compiler and protobuf-c-compiler; a missing one fails the
/// test with what to install, never skips it.
enum ProtoCompilers {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root, three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where Debian's grpc-proto puts grpc.health.v1 and grpc.reflection.
    static let grpcProtos = URL(fileURLWithPath: "/usr/share/grpc-proto")

    /// The path of `name` on `PATH`.
    /// - Throws: ``Failure`` saying how to install it.
    static func tool(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "\(name) is not on PATH: run Scripts/install-deps.sh --tests")
    }

    /// Runs `executable` and returns its standard output.
    /// - Throws: ``Failure`` with the standard error when it exits non-zero.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // protoc writes little to either pipe, so reading one to the end cannot block on the other.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) exited with "
                + "\(process.terminationStatus):\n\(String(decoding: errorData, as: UTF8.self))")
        }
        return outputData
    }

    /// Runs `body` with a new temporary directory holding `files` (relative path → text), then
    /// removes it.
    static func withDirectory<R>(_ files: [String: String], _ body: (URL) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-message-generator-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (path, text) in files {
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        return try body(directory)
    }

    /// `protoc --include_imports --include_source_info --descriptor_set_out` of `protos`
    /// (relative to the import paths), as Scripts/generate-protos.sh runs it for the Swift side.
    static func descriptorSet(_ protos: [String], importPaths: [URL]) throws -> [UInt8] {
        let protoc = try tool("protoc")
        return try withDirectory([:]) { directory in
            let output = directory.appendingPathComponent("set.desc")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try run(protoc, importPaths.map { "--proto_path=\($0.path)" } + [
                "--include_imports", "--include_source_info", "--descriptor_set_out=\(output.path)",
            ] + protos)
            return try [UInt8](Data(contentsOf: output))
        }
    }

    /// The descriptor set of `files` (relative path → text), compiled in a temporary directory.
    static func descriptorSet(of files: [String: String]) throws -> [UInt8] {
        try withDirectory(files) { directory in
            try descriptorSet(files.keys.sorted(), importPaths: [directory])
        }
    }

    /// The parsed descriptor set of `files`.
    static func parse(_ files: [String: String]) throws -> [FileDescriptor] {
        try DescriptorSetParser.parse(descriptorSet(of: files))
    }

    /// The descriptor set Scripts/generate-protos.sh gives the generator: workflow.v1 from
    /// Protos/, grpc.health.v1 and both grpc.reflection versions from grpc-proto.
    static func repositoryDescriptorSet(workflowProtoRoot: URL = packageRoot.appendingPathComponent("Protos")) throws -> [FileDescriptor] {
        guard FileManager.default.fileExists(atPath: grpcProtos.appendingPathComponent("grpc/health/v1/health.proto").path) else {
            throw Failure(description: "\(grpcProtos.path) has no grpc/health/v1/health.proto: run Scripts/install-deps.sh --tests")
        }
        return try DescriptorSetParser.parse(descriptorSet([
            "workflow/v1/workflow.proto", "grpc/health/v1/health.proto",
            "grpc/reflection/v1alpha/reflection.proto", "grpc/reflection/v1/reflection.proto",
        ], importPaths: [workflowProtoRoot, grpcProtos]))
    }

    /// The header protoc-c writes for `path`, one of `files` (relative path → text).
    static func protocCHeader(_ path: String, of files: [String: String]) throws -> String {
        let protocC = try tool("protoc-c")
        return try withDirectory(files) { directory in
            let output = directory.appendingPathComponent("c")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try run(protocC, ["--proto_path=\(directory.path)", "--c_out=\(output.path)", path])
            let header = output.appendingPathComponent(String(path.dropLast(".proto".count)) + ".pb-c.h")
            return try String(contentsOf: header, encoding: .utf8)
        }
    }
}

extension StringProtocol {
    /// Every C identifier in the text (C source, or Swift that names C declarations).
    var cIdentifiers: Set<String> {
        func isIdentifierCharacter(_ character: Character) -> Bool {
            character == "_" || (character.isASCII && (character.isLetter || character.isNumber))
        }
        let words = split(whereSeparator: { !isIdentifierCharacter($0) })
        return Set(words.filter { !($0.first?.isNumber ?? true) }.map { String($0) })
    }
}
