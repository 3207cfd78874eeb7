import Foundation
import MessageRuntime
import Testing
import WorkflowMessages

/// Python's protobuf and ours must agree on every fixture, in both directions, in the binary
/// format and in protobuf's JSON mapping.
@Suite("Cross-language with Python protobuf")
struct CrossLanguageTests {
    /// One encoding both sides speak.
    enum Format: String, CaseIterable, CustomTestStringConvertible {
        case binary = "bin"
        case json

        var testDescription: String { rawValue }

        /// The interop script's modes that write Python's encodings and check ours.
        var writeMode: String { self == .binary ? "write" : "write-json" }
        var checkMode: String { self == .binary ? "check" : "check-json" }

        func encode(_ message: some ProtoMessage) -> [UInt8] {
            self == .binary ? message.serializedBytes() : message.protoJSONBytes()
        }

        func decode<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) throws -> M {
            self == .binary ? try M(serializedBytes: bytes) : try M(protoJSON: JSONValue.parse(bytes))
        }
    }

    /// The short proto name, e.g. "Workflow", used in the file names.
    static func shortName(_ type: any ProtoMessage.Type) -> String {
        String(type.protoMessageName.dropFirst("workflow.v1.".count))
    }

    @Test(arguments: Format.allCases)
    func pythonEncodingsDecodeInSwift(_ format: Format) throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, format.writeMode, directory.path])
        try #require(result.status == 0, Comment(rawValue: result.output))

        func check<M: ProtoMessage>(_ expected: M) throws {
            let file = directory.appendingPathComponent("py_\(Self.shortName(M.self)).\(format.rawValue)")
            let decoded = try format.decode(M.self, [UInt8](Data(contentsOf: file)))
            #expect(decoded == expected, "\(M.protoMessageName) from Python differs")
        }
        for fixture in Fixtures.all { try check(fixture) }
    }

    @Test(arguments: Format.allCases)
    func swiftEncodingsDecodeInPython(_ format: Format) throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        for fixture in Fixtures.all {
            let file = directory.appendingPathComponent("swift_\(Self.shortName(type(of: fixture))).\(format.rawValue)")
            try Data(format.encode(fixture)).write(to: file)
        }
        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, format.checkMode, directory.path])
        #expect(result.status == 0, Comment(rawValue: result.output))
        let okLines = result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(okLines.count == Fixtures.all.count, Comment(rawValue: result.output))
    }
}
