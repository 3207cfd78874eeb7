import Foundation
import Testing
import WorkflowMessages

/// Python's protobuf and ours must agree on every fixture, in both directions.
@Suite("Cross-language with Python protobuf")
struct CrossLanguageTests {
    /// The short proto name, e.g. "Workflow", used in the file names.
    static func shortName(_ type: any ProtoMessage.Type) -> String {
        String(type.protoMessageName.dropFirst("workflow.v1.".count))
    }

    @Test func pythonEncodedBytesDecodeInSwift() throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, "write", directory.path])
        try #require(result.status == 0, Comment(rawValue: result.output))

        func check<M: ProtoMessage>(_ expected: M) throws {
            let file = directory.appendingPathComponent("py_\(Self.shortName(M.self)).bin")
            let bytes = try [UInt8](Data(contentsOf: file))
            let decoded = try M(serializedBytes: bytes)
            #expect(decoded == expected, "\(M.protoMessageName) from Python differs")
        }
        for fixture in Fixtures.all { try check(fixture) }
    }

    @Test func swiftEncodedBytesDecodeInPython() throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        for fixture in Fixtures.all {
            let file = directory.appendingPathComponent("swift_\(Self.shortName(type(of: fixture))).bin")
            try Data(fixture.serializedBytes()).write(to: file)
        }
        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, "check", directory.path])
        #expect(result.status == 0, Comment(rawValue: result.output))
        let okLines = result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(okLines.count == Fixtures.all.count, Comment(rawValue: result.output))
    }

    @Test func pythonJSONDecodesInSwift() throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, "write-json", directory.path])
        try #require(result.status == 0, Comment(rawValue: result.output))

        func check<M: ProtoMessage>(_ expected: M) throws {
            let file = directory.appendingPathComponent("py_\(Self.shortName(M.self)).json")
            let text = try [UInt8](Data(contentsOf: file))
            let decoded = try M(protoJSON: JSONValue.parse(text))
            #expect(decoded == expected, "\(M.protoMessageName) from Python's JSON differs")
        }
        for fixture in Fixtures.all { try check(fixture) }
    }

    @Test func swiftJSONParsesInPython() throws {
        let python = try #require(PythonInterop.interpreter(), Comment(rawValue: PythonInterop.missingPython))
        let directory = try PythonInterop.prepare(python: python)
        defer { try? FileManager.default.removeItem(at: directory) }

        for fixture in Fixtures.all {
            let file = directory.appendingPathComponent("swift_\(Self.shortName(type(of: fixture))).json")
            try Data(fixture.protoJSONBytes()).write(to: file)
        }
        let script = directory.appendingPathComponent("interop.py").path
        let result = try PythonInterop.run(python, [script, "check-json", directory.path])
        #expect(result.status == 0, Comment(rawValue: result.output))
        let okLines = result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(okLines.count == Fixtures.all.count, Comment(rawValue: result.output))
    }
}
