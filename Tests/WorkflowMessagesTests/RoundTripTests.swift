import Testing
import WorkflowMessages

/// Encodes `value`, decodes it back through every decoding entry point, and expects equality.
func expectRoundTrip<M: ProtoMessage>(_ value: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
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
    @Test("The fixtures cover every generated message")
    func fixturesCoverEveryMessage() {
        let covered = Set(Fixtures.types.map { $0.protoMessageName })
        let generated = Set(WorkflowV1.messageTypes.map { $0.protoMessageName })
        #expect(generated.subtracting(covered).isEmpty, "no fixture for \(generated.subtracting(covered).sorted())")
        #expect(covered.count == Fixtures.types.count, "a message has two fixtures")
    }

    @Test("Every message with every field set", arguments: Fixtures.all)
    func everyFieldSet(_ value: any ProtoMessage) throws {
        try expectRoundTrip(value)
        // WhoAmIRequest has no fields: its one encoding is empty.
        #expect(!value.serializedBytes().isEmpty || value is WorkflowV1.WhoAmIRequest)
    }

    @Test("Default values encode to nothing and decode from nothing", arguments: Fixtures.types)
    func defaults(_ type: any ProtoMessage.Type) throws {
        func check<M: ProtoMessage>(_: M.Type) throws {
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
        #expect(decoded.gapFromSequence == 0 && decoded.gapToSequence == 0 && decoded.attempt == 0)
        #expect(try WorkflowV1.ListWorkflowsRequest(serializedBytes: [UInt8]()) == WorkflowV1.ListWorkflowsRequest())
        #expect(try WorkflowV1.ListWorkflowsResponse(serializedBytes: [UInt8]()).workflows.isEmpty)
        #expect(try WorkflowV1.RetryWorkflowResponse(serializedBytes: [UInt8]()).status == .unspecified)
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

    /// Decoding unpacks into an arena whose first kilobyte is on the stack: trees and fields far
    /// larger than that spill into heap chunks, and must come back whole.
    @Test func messagesLargerThanTheArenasFirstChunkDecodeIntact() throws {
        let jobs = (0..<40).map { job in
            WorkflowV1.Job(
                id: "wf-big-j\(job)", name: "Job \(job)",
                steps: (0..<25).map { WorkflowV1.Step(id: "wf-big-j\(job)-s\($0)", message: String(repeating: "m", count: $0 * 7)) },
                outputs: Dictionary(uniqueKeysWithValues: (0..<5).map { ("key\($0)", "value \(job) \($0)") })
            )
        }
        try expectRoundTrip(WorkflowV1.Workflow(id: "wf-big", params: ["p": String(repeating: "x", count: 5_000)], jobs: jobs))
        try expectRoundTrip(WorkflowV1.StartWorkflowRequest(
            type: "TEST", params: Dictionary(uniqueKeysWithValues: (0..<300).map { ("param\($0)", String($0)) })
        ))
        try expectRoundTrip(WorkflowV1.FileChunk(data: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
    }

    /// A sub-message that appears more than once is merged, as protobuf requires: protoc-c
    /// replaces the earlier arrays with longer ones each time. The arena frees nothing, so past
    /// its budget the decode is refused and made again with malloc; both must merge the same.
    @Test func repeatedSubMessagesMergeInTheArenaAndPastItsBudget() throws {
        // (protoc-c takes a merged scalar from the last occurrence even when it is 0 there.)
        let twice = WorkflowV1.Job(id: "j", stats: WorkflowV1.Stats(counters: ["a": 1])).serializedBytes()
            + WorkflowV1.Job(stats: WorkflowV1.Stats(durationMs: 5, counters: ["b": 2])).serializedBytes()
        let job = try WorkflowV1.Job(serializedBytes: twice)
        #expect(job.id == "j")
        #expect(job.stats == WorkflowV1.Stats(durationMs: 5, counters: ["a": 1, "b": 2]))

        let count = 3_000
        var many: [UInt8] = []
        for index in 0..<count {
            many += WorkflowV1.LogEvent(stats: WorkflowV1.Stats(counters: ["k\(index)": Int64(index)])).serializedBytes()
        }
        let merged = try WorkflowV1.LogEvent(serializedBytes: many)
        #expect(merged.stats?.counters.count == count)
        #expect(merged.stats?.counters["k2999"] == 2_999)
        // Malformed input is refused as before, not decoded again.
        #expect(throws: MessageDecodingError.self) { try WorkflowV1.LogEvent(serializedBytes: many.dropLast()) }
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
        try expectRoundTrip(WorkflowV1.RetryWorkflowResponse(status: .init(rawValue: raw)))
        try expectRoundTrip(WorkflowV1.CancelWorkflowResponse(status: .init(rawValue: raw)))
        let list = WorkflowV1.ListWorkflowsRequest(statuses: [.init(rawValue: raw), .running, .init(rawValue: raw)])
        let decodedList = try WorkflowV1.ListWorkflowsRequest(serializedBytes: list.serializedBytes())
        #expect(decodedList.statuses.map(\.rawValue) == [raw, 1, raw])
        try expectRoundTrip(list)
    }

    @Test func newFieldsSurvive() throws {
        let step = try WorkflowV1.Step(serializedBytes: WorkflowV1.Step(attempt: 3).serializedBytes())
        #expect(step.attempt == 3)
        let job = try WorkflowV1.Job(serializedBytes: WorkflowV1.Job(stepCount: 12, attempt: 2).serializedBytes())
        #expect(job.stepCount == 12 && job.attempt == 2 && job.steps.isEmpty)
        #expect(try WorkflowV1.Workflow(serializedBytes: WorkflowV1.Workflow(attempt: 4).serializedBytes()).attempt == 4)
        let watch = WorkflowV1.WatchLogsRequest(workflowType: "T", userID: "u", jobID: "j", entityTag: "P-1")
        let decodedWatch = try WorkflowV1.WatchLogsRequest(serializedBytes: watch.serializedBytes())
        #expect(decodedWatch.workflowType == "T" && decodedWatch.userID == "u")
        #expect(decodedWatch.jobID == "j" && decodedWatch.entityTag == "P-1")
        let gap = WorkflowV1.LogEvent(kind: .gap, gapFromSequence: 5, gapToSequence: 9, attempt: 2)
        let decodedGap = try WorkflowV1.LogEvent(serializedBytes: gap.serializedBytes())
        #expect(decodedGap.kind == .gap && decodedGap.gapFromSequence == 5 && decodedGap.gapToSequence == 9)
        #expect(decodedGap.attempt == 2)
        for value: any ProtoMessage in [
            WorkflowV1.Step(attempt: .min), WorkflowV1.Job(stepCount: .max, attempt: -1),
            WorkflowV1.Workflow(attempt: .max), WorkflowV1.LogEvent(kind: .workflowRetried, attempt: .min),
            WorkflowV1.LogEvent(gapFromSequence: .max, gapToSequence: .max),
            WorkflowV1.WatchLogsRequest(entityTag: Fixtures.unicode),
        ] {
            try expectRoundTrip(value)
        }
    }

    @Test func newMessagesWithEachFieldAlone() throws {
        let values: [any ProtoMessage] = [
            WorkflowV1.RetryWorkflowRequest(workflowID: "wf-1"),
            WorkflowV1.RetryWorkflowResponse(workflowID: "wf-1"),
            WorkflowV1.RetryWorkflowResponse(status: .running),
            WorkflowV1.RetryWorkflowResponse(attempt: 2),
            WorkflowV1.RetryWorkflowResponse(jobID: "job-2"),
            WorkflowV1.RetryWorkflowResponse(jobName: "Process Data"),
            WorkflowV1.CancelWorkflowRequest(workflowID: "wf-1"),
            WorkflowV1.CancelWorkflowRequest(reason: "no longer needed"),
            WorkflowV1.CancelWorkflowResponse(workflowID: "wf-1"),
            WorkflowV1.CancelWorkflowResponse(status: .cancelled),
            WorkflowV1.ListWorkflowsRequest(statuses: [.running]),
            WorkflowV1.ListWorkflowsRequest(type: "IMPORT_ASSETS"),
            WorkflowV1.ListWorkflowsRequest(userID: "u-1"),
            WorkflowV1.ListWorkflowsRequest(createdAfterMs: 1),
            WorkflowV1.ListWorkflowsRequest(createdBeforeMs: -1),
            WorkflowV1.ListWorkflowsRequest(pageSize: 50),
            WorkflowV1.ListWorkflowsRequest(pageToken: "t"),
            WorkflowV1.ListWorkflowsResponse(workflows: [WorkflowV1.Workflow()]),
            WorkflowV1.ListWorkflowsResponse(nextPageToken: "t"),
        ]
        for value in values {
            try expectRoundTrip(value)
            #expect(!value.serializedBytes().isEmpty, "\(value)")
        }
    }

    @Test func listWorkflowsStatuses() throws {
        // Empty: nothing on the wire, and an empty array back.
        let empty = WorkflowV1.ListWorkflowsRequest(statuses: [], pageSize: 5)
        #expect(empty.serializedBytes() == [0x30, 0x05])
        #expect(try WorkflowV1.ListWorkflowsRequest(serializedBytes: empty.serializedBytes()).statuses == [])
        #expect(WorkflowV1.ListWorkflowsRequest().serializedBytes() == [])

        // One and many values keep their order, duplicates and unknown values.
        for statuses: [WorkflowV1.WorkflowStatus] in [
            [.failed],
            [.running, .completed, .failed, .cancelled, .unspecified],
            [.failed, .failed, .init(rawValue: 42), .init(rawValue: -1), .init(rawValue: .min), .init(rawValue: .max)],
            Array(repeating: .running, count: 1000),
        ] {
            let request = WorkflowV1.ListWorkflowsRequest(statuses: statuses)
            try expectRoundTrip(request)
            #expect(try WorkflowV1.ListWorkflowsRequest(serializedBytes: request.serializedBytes()).statuses == statuses)
        }

        // proto3 packs the repeated enum: one length-delimited field 1.
        #expect(WorkflowV1.ListWorkflowsRequest(statuses: [.running, .failed]).serializedBytes() == [0x0A, 0x02, 0x01, 0x03])
        // Parsers must also accept the unpacked form, and a mix of both.
        #expect(try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x08, 0x01, 0x08, 0x03]).statuses == [.running, .failed])
        #expect(try WorkflowV1.ListWorkflowsRequest(serializedBytes: [0x08, 0x04, 0x0A, 0x02, 0x01, 0x63]).statuses
            == [.cancelled, .running, .init(rawValue: 99)])
    }

    @Test func listWorkflowsResponseCarriesSummaries() throws {
        let decoded = try WorkflowV1.ListWorkflowsResponse(serializedBytes: Fixtures.listWorkflowsResponse.serializedBytes())
        #expect(decoded.workflows.map(\.id) == ["wf-2", "", "wf-1"])
        #expect(decoded.workflows[0].jobs.map(\.stepCount) == [12, 0])
        let stepless = decoded.workflows[0].jobs.allSatisfy { $0.steps.isEmpty }
        #expect(stepless)
        #expect(decoded.workflows[0].attempt == .min)
        #expect(decoded.workflows[2] == Fixtures.workflow)
        #expect(decoded.nextPageToken == "page-2 ✓")
        try expectRoundTrip(WorkflowV1.ListWorkflowsResponse(
            workflows: (0..<200).map { WorkflowV1.Workflow(id: "wf-\($0)", jobs: [Fixtures.job($0 % 3)]) }))
    }

    @Test func enumDescriptions() {
        #expect(WorkflowV1.WorkflowStatus.running.description == "WORKFLOW_STATUS_RUNNING")
        #expect(WorkflowV1.JobStatus.cancelled.description == "JOB_STATUS_CANCELLED")
        #expect(WorkflowV1.LogEventKind.failureNotice.description == "LOG_EVENT_KIND_FAILURE_NOTICE")
        #expect(WorkflowV1.LogEventKind.gap == WorkflowV1.LogEventKind(rawValue: 12))
        #expect(WorkflowV1.LogEventKind.gap.description == "LOG_EVENT_KIND_GAP")
        #expect(WorkflowV1.LogEventKind.workflowRetried == WorkflowV1.LogEventKind(rawValue: 13))
        #expect(WorkflowV1.LogEventKind.workflowRetried.description == "LOG_EVENT_KIND_WORKFLOW_RETRIED")
        #expect(WorkflowV1.LogEventKind.jobInterrupted == WorkflowV1.LogEventKind(rawValue: 15))
        #expect(WorkflowV1.JobAttemptOutcome.timedOut.description == "JOB_ATTEMPT_OUTCOME_TIMED_OUT")
        #expect(WorkflowV1.LogEventKind(rawValue: 99).description == "99")
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
