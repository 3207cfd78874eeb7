import Testing
import WorkflowMessages

/// Encodes `value`, decodes it back through every decoding entry point, and expects equality.
func expectRoundTrip<M: WorkflowV1.Message>(_ value: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let bytes = value.serializedBytes()
    #expect(try M(serializedBytes: bytes) == value, sourceLocation: sourceLocation)
    #expect(try bytes.withUnsafeBytes { try M(serializedBytes: $0) } == value, sourceLocation: sourceLocation)
    // A non-contiguous collection takes the copying path.
    #expect(try M(serializedBytes: AnyCollection(bytes)) == value, sourceLocation: sourceLocation)

    var framed: [UInt8] = [0, 1, 2, 3, 4]
    value.serialize(appendingTo: &framed)
    #expect(framed == [0, 1, 2, 3, 4] + bytes, sourceLocation: sourceLocation)
    #expect(try M(serializedBytes: framed[5...]) == value, sourceLocation: sourceLocation)
}

@Suite("Round trips")
struct RoundTripTests {
    @Test("Every message with every field set", arguments: Fixtures.all)
    func everyFieldSet(_ value: any WorkflowV1.Message) throws {
        try expectRoundTrip(value)
        #expect(!value.serializedBytes().isEmpty)
    }

    @Test("Default values encode to nothing and decode from nothing", arguments: Fixtures.types)
    func defaults(_ type: any WorkflowV1.Message.Type) throws {
        func check<M: WorkflowV1.Message>(_: M.Type) throws {
            let empty = try M(serializedBytes: [UInt8]())
            #expect(empty.serializedBytes() == [])
            try expectRoundTrip(empty)
        }
        try check(type)
    }

    @Test func defaultsMatchProto3() throws {
        let decoded = try WorkflowV1.LogEvent(serializedBytes: [UInt8]())
        #expect(decoded == WorkflowV1.LogEvent())
        #expect(decoded.kind == .unspecified && decoded.step == nil && decoded.stats == nil)
        #expect(try WorkflowV1.Workflow(serializedBytes: [UInt8]()) == WorkflowV1.Workflow())
    }

    @Test func workflowTreeSurvivesIntact() throws {
        let decoded = try WorkflowV1.Workflow(serializedBytes: Fixtures.workflow.serializedBytes())
        #expect(decoded.jobs.count == 4)
        #expect(decoded.jobs.map(\.steps.count) == [4, 4, 4, 3])
        #expect(decoded.jobs[1].stats == nil)
        #expect(decoded.jobs[2].steps[0].entity?.tag == "T-20")
        #expect(decoded.jobs[2].steps[1].entity == nil)
        #expect(decoded.jobs[2].steps[3].entity == WorkflowV1.EntityRef())
        #expect(decoded.params["ünïcødé"] == "值 🚀")
        #expect(decoded.params["empty"] == "")
        #expect(decoded.createdAtMs == .min)
        #expect(decoded.jobs[3].finishedAtMs == .max)
        #expect(decoded.stats?.counters["min"] == .min)
    }

    @Test func absentAndEmptySubMessagesStayDistinct() throws {
        let absent = WorkflowV1.Step(id: "a")
        let empty = WorkflowV1.Step(id: "a", entity: WorkflowV1.EntityRef())
        #expect(absent.serializedBytes() != empty.serializedBytes())
        #expect(try WorkflowV1.Step(serializedBytes: absent.serializedBytes()).entity == nil)
        #expect(try WorkflowV1.Step(serializedBytes: empty.serializedBytes()).entity == WorkflowV1.EntityRef())

        let noStats = WorkflowV1.LogEvent(sequence: 1)
        let emptyStats = WorkflowV1.LogEvent(sequence: 1, stats: WorkflowV1.Stats())
        try expectRoundTrip(noStats)
        try expectRoundTrip(emptyStats)
        #expect(try WorkflowV1.LogEvent(serializedBytes: emptyStats.serializedBytes()).stats == WorkflowV1.Stats())
    }

    @Test func extremeIntegers() throws {
        try expectRoundTrip(WorkflowV1.LogEvent(sequence: .max, timestampMs: .min, jobPosition: .min))
        try expectRoundTrip(WorkflowV1.LogEvent(sequence: 1, timestampMs: -1, jobPosition: -1))
        try expectRoundTrip(WorkflowV1.WatchLogsRequest(afterSequence: .max))
        try expectRoundTrip(WorkflowV1.Job(position: .max, progress: -0.0, startedAtMs: .max, finishedAtMs: .min))
        try expectRoundTrip(WorkflowV1.Job(progress: .greatestFiniteMagnitude))
        try expectRoundTrip(WorkflowV1.Job(progress: .infinity))
        try expectRoundTrip(WorkflowV1.Stats(durationMs: .min, counters: ["a": .max, "b": .min, "c": -1]))
    }

    @Test("Unknown and negative enum values are preserved", arguments: [Int32.min, -7, -1, 5, 12, 42, .max])
    func unknownEnumValues(_ raw: Int32) throws {
        let event = WorkflowV1.LogEvent(
            kind: .init(rawValue: raw), level: .init(rawValue: raw),
            workflowStatus: .init(rawValue: raw), jobStatus: .init(rawValue: raw))
        let decoded = try WorkflowV1.LogEvent(serializedBytes: event.serializedBytes())
        #expect(decoded.kind.rawValue == raw)
        #expect(decoded.level.rawValue == raw)
        #expect(decoded.workflowStatus.rawValue == raw)
        #expect(decoded.jobStatus.rawValue == raw)
        #expect(decoded == event)
        try expectRoundTrip(WorkflowV1.StartWorkflowResponse(status: .init(rawValue: raw)))
        try expectRoundTrip(WorkflowV1.Job(status: .init(rawValue: raw)))
    }

    @Test func enumDescriptions() {
        #expect(WorkflowV1.WorkflowStatus.running.description == "WORKFLOW_STATUS_RUNNING")
        #expect(WorkflowV1.JobStatus.cancelled.description == "JOB_STATUS_CANCELLED")
        #expect(WorkflowV1.LogEventKind.failureNotice.description == "LOG_EVENT_KIND_FAILURE_NOTICE")
        #expect(WorkflowV1.LogLevel(rawValue: 42).description == "42")
        #expect(WorkflowV1.LogLevel.debug < .info && WorkflowV1.LogLevel.warn < .error)
        #expect(WorkflowV1.LogLevel(rawValue: 4) == .error)
    }

    @Test func unicodeStrings() throws {
        let samples = [
            "", "a", "é", "日本語", "🚀🧑‍🚀👩🏽‍💻", "mixed ✓ ascii", String(repeating: "ü", count: 5000),
            "\u{FEFF}bom", "\u{10FFFF}", "tab\tnewline\n",
        ]
        for sample in samples {
            let request = WorkflowV1.GetWorkflowRequest(workflowID: sample)
            #expect(try WorkflowV1.GetWorkflowRequest(serializedBytes: request.serializedBytes()) == request)
            try expectRoundTrip(WorkflowV1.Stats(counters: [sample: 1]))
        }
    }

    @Test func mapEncodingIsDeterministic() {
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        let keys = (0..<50).map { "key-\($0)" }
        for key in keys { forward[key] = key.uppercased() }
        for key in keys.reversed() { backward[key] = key.uppercased() }
        #expect(WorkflowV1.Workflow(params: forward).serializedBytes()
            == WorkflowV1.Workflow(params: backward).serializedBytes())
    }

    @Test func largeWorkflowSpillsOutOfTheStackArena() throws {
        let jobs = (0..<100).map { j in
            WorkflowV1.Job(
                id: "job-\(j)", name: String(repeating: "n", count: j),
                steps: (0..<30).map { s in
                    WorkflowV1.Step(id: "s-\(j)-\(s)", message: "message \(s) ✓",
                                    entity: WorkflowV1.EntityRef(tag: "t\(s)"), sequence: UInt64(s))
                },
                stats: WorkflowV1.Stats(counters: ["a": Int64(j), "b": -Int64(j)]))
        }
        let workflow = WorkflowV1.Workflow(id: "big", jobs: jobs)
        let bytes = workflow.serializedBytes()
        #expect(bytes.count > 100_000)
        #expect(try WorkflowV1.Workflow(serializedBytes: bytes) == workflow)
        // A single string far larger than any arena chunk.
        let huge = WorkflowV1.LogEvent(message: String(repeating: "x", count: 20_000_000))
        #expect(try WorkflowV1.LogEvent(serializedBytes: huge.serializedBytes()) == huge)
    }

    @Test func embeddedNULTruncatesStrings() throws {
        // protoc-c strings are `char *`: documented limitation, asserted so it stays visible.
        let request = WorkflowV1.GetWorkflowRequest(workflowID: "before\0after")
        #expect(try WorkflowV1.GetWorkflowRequest(serializedBytes: request.serializedBytes()).workflowID == "before")
    }

    @Test func concurrentEncodingAndDecoding() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { () async throws in
                    for _ in 0..<200 {
                        let bytes = Fixtures.workflow.serializedBytes()
                        #expect(try WorkflowV1.Workflow(serializedBytes: bytes) == Fixtures.workflow)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
