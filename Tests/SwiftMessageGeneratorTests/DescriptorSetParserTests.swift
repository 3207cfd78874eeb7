import Foundation
import Testing
@testable import SwiftMessageGenerator

@Suite("DescriptorSetParser")
struct DescriptorSetParserTests {
    static func shapes() throws -> FileDescriptor {
        let files = try ProtoCompilers.parse(TestProtos.shapes)
        #expect(files.map(\.name) == ["shapes/v1/common.proto", "shapes/v1/shapes.proto"], "imports come first")
        return try #require(files.last)
    }

    static func field(_ name: String, of message: MessageDescriptor) throws -> FieldDescriptor {
        try #require(message.fields.first { $0.name == name }, "\(message.fullName).\(name)")
    }

    @Test func fileAndMessages() throws {
        let file = try Self.shapes()
        #expect(file.package == "shapes.v1")
        #expect(file.syntax == "proto3")
        #expect(file.messages.map(\.fullName) == ["shapes.v1.Shape"])
        let shape = try #require(file.messages.first)
        #expect(shape.nestedMessages.map(\.fullName) == ["shapes.v1.Shape.Point", "shapes.v1.Shape.AnchorsEntry"])
        #expect(shape.nestedMessages.map(\.isMapEntry) == [false, true])
        #expect(shape.nestedEnums.map(\.fullName) == ["shapes.v1.Shape.Kind"])
        #expect(shape.oneofNames == ["colour"])
        #expect(shape.fields.map(\.number) == [1, 2, 3, 4, 5, 536_870_911, 7, 8, 9, 10, 11, 12, 13, 14])
    }

    @Test func fieldKindsLabelsAndTypeNames() throws {
        let shape = try #require(try Self.shapes().messages.first)
        let expected: [(name: String, kind: FieldDescriptor.Kind, repeated: Bool, typeName: String)] = [
            ("name", .string, false, ""),
            ("points", .message, true, ".shapes.v1.Shape.Point"),
            ("anchors", .message, true, ".shapes.v1.Shape.AnchorsEntry"),
            ("kind", .enumeration, false, ".shapes.v1.Shape.Kind"),
            ("fill", .enumeration, false, ".shapes.v1.Fill"),
            ("area", .double, false, ""),
            ("rgb", .fixed32, false, ""),
            ("named", .string, false, ""),
            ("reference", .message, false, ".common.v1.Ack"),
            ("ids", .uint64, true, ""),
            ("blob", .bytes, false, ""),
            ("visible", .bool, false, ""),
            ("scale", .float, false, ""),
            ("ack", .message, false, ".common.v1.Ack"),
        ]
        #expect(shape.fields.map(\.name) == expected.map(\.name))
        for (field, want) in zip(shape.fields, expected) {
            #expect(field.kind == want.kind, "\(field.name)")
            #expect(field.isRepeated == want.repeated, "\(field.name)")
            #expect(field.typeName == want.typeName, "\(field.name)")
            #expect(field.oneofIndex == (["rgb", "named", "reference"].contains(field.name) ? 0 : nil), "\(field.name)")
            #expect(!field.isProto3Optional, "\(field.name)")
        }
        let point = try #require(shape.nestedMessages.first)
        #expect(point.fields.map(\.kind) == [.sint32, .sfixed64])
        let entry = shape.nestedMessages[1]
        #expect(entry.fields.map(\.name) == ["key", "value"])
        #expect(entry.fields.map(\.kind) == [.string, .message])
        #expect(entry.fields[1].typeName == ".shapes.v1.Shape.Point")
    }

    @Test func enumsKeepNegativeValues() throws {
        let file = try Self.shapes()
        let fill = try #require(file.enums.first)
        #expect(fill.fullName == "shapes.v1.Fill")
        #expect(fill.values.map(\.name) == ["FILL_UNSPECIFIED", "FILL_SOLID", "FILL_NONE"])
        #expect(fill.values.map(\.number) == [0, 1, -1])
    }

    @Test func servicesAndStreaming() throws {
        let canvas = try #require(try Self.shapes().services.first)
        #expect(canvas.name == "Canvas")
        #expect(canvas.methods.map(\.name) == ["Draw", "Watch", "Upload", "Chat"])
        #expect(canvas.methods.map(\.inputType) == [".shapes.v1.Shape", ".shapes.v1.Shape", ".shapes.v1.Shape", ".shapes.v1.Shape"])
        #expect(canvas.methods.map(\.outputType) == [".common.v1.Ack", ".shapes.v1.Shape", ".common.v1.Ack", ".shapes.v1.Shape"])
        #expect(canvas.methods.map(\.clientStreaming) == [false, false, true, true])
        #expect(canvas.methods.map(\.serverStreaming) == [false, true, false, true])
    }

    @Test func comments() throws {
        let file = try Self.shapes()
        let canvas = try #require(file.services.first)
        #expect(canvas.comment == "Draws shapes.\nSecond line of the service comment.", "multi-line leading")
        #expect(canvas.methods.map(\.comment) == ["Draws one shape.", "Follows a shape.", "", ""], "leading, trailing, none")
        let fill = try #require(file.enums.first)
        #expect(fill.comment == "How a shape is filled.")
        #expect(fill.values.map(\.comment) == ["", "Solid colour.", "Outline only."])
        let shape = try #require(file.messages.first)
        #expect(shape.comment == "A block comment\nover two lines.")
        #expect(shape.nestedMessages[0].comment == "A point on the canvas.")
        #expect(try Self.field("name", of: shape).comment == "Trailing comment of name.")
        #expect(try Self.field("area", of: shape).comment == "Leading wins over trailing.")
        #expect(try Self.field("points", of: shape).comment == "")
        #expect(shape.oneofComments == ["Which colour model."])
    }

    @Test func workflowProto() throws {
        let files = try DescriptorSetParser.parse(ProtoCompilers.descriptorSet(
            ["workflow/v1/workflow.proto"], importPaths: [ProtoCompilers.packageRoot.appendingPathComponent("Protos")]))
        let file = try #require(files.first)
        #expect(files.count == 1)
        #expect(file.package == "workflow.v1")
        #expect(file.enums.map(\.name) == ["WorkflowStatus", "JobStatus", "LogLevel", "LogEventKind", "JobAttemptOutcome"])
        #expect(file.messages.count == 58)

        #expect(file.services.map(\.name) == ["WorkflowService", "WorkerService"])
        let connect = try #require(file.services.last?.methods.first)
        #expect(connect.name == "Connect" && connect.clientStreaming && connect.serverStreaming)
        let service = try #require(file.services.first)
        #expect(service.comment.hasPrefix("Runs multi-step operations as observable workflows.\n\nWhen the server authenticates callers"))
        #expect(service.methods.map(\.name) == [
            "StartWorkflow", "GetWorkflow", "WatchLogs", "RetryWorkflow", "CancelWorkflow", "ListWorkflows", "ListSteps", "CountWorkflows",
            "UploadFile", "DownloadArtifact", "DownloadFile", "ListAssets", "GetAsset", "WhoAmI",
        ])
        #expect(service.methods.map(\.serverStreaming) == [false, false, true, false, false, false, false, false, false, true, true, false, false, false])
        #expect(service.methods.map(\.clientStreaming) == [false, false, false, false, false, false, false, false, true, false, false, false, false, false])
        #expect(service.methods[1].outputType == ".workflow.v1.Workflow")
        #expect(service.methods[0].comment == """
            Starts a workflow of a registered type. Answers at once with the new workflow's id and
            RUNNING status; its jobs run in the background, one after another.
            """)

        let start = try #require(file.messages.first { $0.name == "StartWorkflowRequest" })
        let params = try Self.field("params", of: start)
        #expect(params.number == 2 && params.isRepeated && params.kind == .message)
        #expect(params.typeName == ".workflow.v1.StartWorkflowRequest.ParamsEntry")
        #expect(start.nestedMessages.map(\.fullName) == ["workflow.v1.StartWorkflowRequest.ParamsEntry"])
        #expect(start.nestedMessages.map(\.isMapEntry) == [true])
        #expect(try Self.field("request_id", of: start).comment.hasSuffix("another user's same id starts its own workflow."))

        let list = try #require(file.messages.first { $0.name == "ListWorkflowsRequest" })
        let statuses = try Self.field("statuses", of: list)
        #expect(statuses.isRepeated && statuses.kind == .enumeration && statuses.typeName == ".workflow.v1.WorkflowStatus")

        let event = try #require(file.messages.first { $0.name == "LogEvent" })
        #expect(event.fields.map(\.number) == Array(1...26))
        #expect(try Self.field("step", of: event).typeName == ".workflow.v1.Step")
        #expect(try Self.field("gap_to_sequence", of: event).kind == .uint64)

        let kinds = try #require(file.enums.first { $0.name == "LogEventKind" })
        #expect(kinds.values.last?.name == "LOG_EVENT_KIND_STATS_UPDATED")
        #expect(kinds.values.last?.comment.hasPrefix("A remote job reported its counters") == true)
    }

    // MARK: Malformed input

    /// A protobuf key: field number and wire type.
    static func key(_ field: Int, _ wireType: UInt8) -> [UInt8] { varint(UInt64(field << 3) | UInt64(wireType)) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    static func lengthDelimited(_ field: Int, _ content: [UInt8]) -> [UInt8] {
        key(field, 2) + varint(UInt64(content.count)) + content
    }

    /// A descriptor set with one file holding one message made of `messageFields`.
    static func set(messageFields: [UInt8]) -> [UInt8] {
        lengthDelimited(1, lengthDelimited(12, Array("proto3".utf8)) + lengthDelimited(4, lengthDelimited(1, Array("M".utf8)) + messageFields))
    }

    static func expectMalformed(_ bytes: [UInt8], _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: DescriptorSetParser.Malformed.self, comment, sourceLocation: sourceLocation) {
            try DescriptorSetParser.parse(bytes)
        }
    }

    @Test func wellFormedHandBuiltSetParses() throws {
        let field = Self.lengthDelimited(1, Array("f".utf8)) + Self.key(3, 0) + Self.varint(1) + Self.key(5, 0) + Self.varint(9)
        let files = try DescriptorSetParser.parse(Self.set(messageFields: Self.lengthDelimited(2, field)))
        #expect(files.first?.messages.first?.fields.first?.kind == .string)
    }

    @Test func wireErrorsThrow() {
        Self.expectMalformed([0x0A], "length missing")
        Self.expectMalformed([0x0A, 0x05, 0x01], "length past the end")
        Self.expectMalformed([0x08] + Array(repeating: 0xFF, count: 10) + [0x01], "varint over 10 bytes")
        Self.expectMalformed([0x0B], "start-group wire type")
        Self.expectMalformed([0x0E, 0x00], "wire type 6")
        Self.expectMalformed([0x00, 0x00], "field number 0")
        Self.expectMalformed(Self.lengthDelimited(1, [0x12, 0x7F]), "nested length past the end")
    }

    @Test func fieldTypeOutOfRangeThrows() {
        for type in [0, 19, 1 << 40, UInt64.max] as [UInt64] {
            let field = Self.lengthDelimited(1, Array("f".utf8)) + Self.key(5, 0) + Self.varint(type)
            Self.expectMalformed(Self.set(messageFields: Self.lengthDelimited(2, field)), "type \(type)")
        }
    }

    @Test func oneofIndexWithoutItsOneofThrows() {
        for index in [1, 1 << 40, UInt64.max] as [UInt64] {
            let field = Self.lengthDelimited(1, Array("f".utf8)) + Self.key(9, 0) + Self.varint(index)
            let oneof = Self.lengthDelimited(8, Self.lengthDelimited(1, Array("o".utf8)))
            Self.expectMalformed(Self.set(messageFields: Self.lengthDelimited(2, field) + oneof), "oneof_index \(index)")
        }
    }

    /// Messages nested `depth` deep (`DescriptorProto.nested_type`), written outside in.
    static func nestedMessages(depth: Int) -> [UInt8] {
        var lengths = [0]
        for _ in 1..<depth {
            let inner = lengths.last!
            lengths.append(1 + varint(UInt64(inner)).count + inner)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lengths.last! * 2)
        for length in lengths.reversed() {
            bytes += key(3, 2) + varint(UInt64(length))
        }
        return set(messageFields: bytes)
    }

    @Test func reasonableNestingParses() throws {
        let files = try DescriptorSetParser.parse(Self.nestedMessages(depth: 50))
        var message = try #require(files.first?.messages.first)
        var depth = 0
        while let nested = message.nestedMessages.first {
            message = nested
            depth += 1
        }
        #expect(depth == 50)
    }

    @Test func deepNestingThrowsInsteadOfOverflowingTheStack() {
        Self.expectMalformed(Self.nestedMessages(depth: 200_000), "200,000 nested messages")
    }

    /// Long and CPU-bound (some 50 s in the full suite): it yields between parses, or it would
    /// hold a thread of the cooperative pool the whole time (two threads on two cores) and
    /// starve the suite's timed tests.
    @Test func truncatedOrCorruptedSetsThrowOrParseAndNeverCrash() async throws {
        let bytes = try ProtoCompilers.descriptorSet(
            ["workflow/v1/workflow.proto"], importPaths: [ProtoCompilers.packageRoot.appendingPathComponent("Protos")])
        var truncationsThatThrew = 0
        for length in stride(from: 0, to: bytes.count, by: 53) {
            await Task.yield()
            do {
                _ = try DescriptorSetParser.parse(Array(bytes[..<length]))
            } catch {
                truncationsThatThrew += 1
            }
        }
        #expect(truncationsThatThrew > 0)
        for index in stride(from: 0, to: bytes.count, by: 149) {
            for replacement in [0x00, 0xFF, bytes[index] ^ 0x80] as [UInt8] {
                await Task.yield()
                var corrupted = bytes
                corrupted[index] = replacement
                if let files = try? DescriptorSetParser.parse(corrupted) {
                    _ = try? SwiftGenerator.generate(files: files, options: SwiftGeneratorTests.workflowOptions)
                }
            }
        }
    }
}
