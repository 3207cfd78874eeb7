import Testing
@testable import WorkflowModel
@testable import WorkflowStore

@Suite("RecordCodec")
struct RecordCodecTests {
    @Test("an event with every field set round-trips, and so does a bare one")
    func eventRoundTrip() throws {
        let full = LogEvent(
            sequence: 1 << 40, timestampMs: -5, kind: .jobFailed, level: .error, message: "Job Process failed: ü ✓",
            workflowID: "wf-1", workflowType: "TEST", userID: "u-1",
            job: JobRef(id: "wf-1-j2", name: "Process", position: 1),
            step: Step(id: "s", message: "m", level: .warn, entity: EntityReference(tag: "P-101", route: "/assets/1", id: "1", type: "Asset"),
                       timestampMs: 7, sequence: 1 << 40, attempt: 3),
            progress: 0.25, progressMessage: "a quarter", workflowStatus: .failed, jobStatus: .cancelled,
            stats: Stats(durationMs: 12, counters: ["itemsProcessed": 3, "itemsFailed": -1]),
            error: "boom", stack: "here", gap: 3...8, attempt: 2, retryAtMs: 1_700_000_000_000,
            worker: WorkerRef(name: "python-importer ✓", instanceID: "host-1")
        )
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(full)) == full)
        var started = LogEvent(timestampMs: 3, kind: .workflowStarted, level: .info, message: "by ada", workflowID: "wf-2", workflowType: "TEST")
        started.actor = "ada ✓"
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(started)) == started)
        started.outputs = ["file": "a.pdf"]
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(started)) == started)
        let bare = LogEvent(timestampMs: 0, kind: .workflowStarted, level: .info, message: "", workflowID: "", workflowType: "")
        #expect(try RecordCodec.decodeEvent(RecordCodec.encode(bare)) == bare)
    }

    @Test("a step's id round-trips whatever its shape, with its event's job or not")
    func stepIDsRoundTrip() throws {
        for id in ["wf-1-j2-s1", "wf-1-j2-s4294967295", "wf-1-j2-s4294967296", "wf-1-j2-s01", "wf-1-j1-s3", "imported ✓", ""] {
            for job in [JobRef(id: "wf-1-j2", name: "Process", position: 1), nil] {
                let event = LogEvent(
                    timestampMs: 1, kind: .stepLogged, level: .info, message: "m", workflowID: "wf-1", workflowType: "TEST",
                    job: job, step: Step(id: id, message: "m", timestampMs: 1)
                )
                let decoded = try RecordCodec.decodeEvent(RecordCodec.encode(event))
                #expect(decoded == event)
                #expect(decoded.step?.id == id)
            }
            let numbered = Step(id: StepID(number: 7, ofJob: id), message: "m", timestampMs: 1)
            #expect(try RecordCodec.decodeStep(RecordCodec.encode(numbered)) == numbered)
            // The format is a string's, as it was when steps held their ids whole.
            var whole = BinaryWriter()
            whole.write("\(id)-s7")
            #expect(RecordCodec.encode(numbered).starts(with: whole.bytes))
        }
    }

    @Test("maps encode in key order, whatever order they were built in, and decode back", arguments: [0, 1, 2, 30, 500])
    func mapsEncodeInKeyOrder(entries: Int) throws {
        let keys = (0..<entries).map { "key-\(String($0, radix: 7))-✓" }
        var forward = LogEvent(timestampMs: 1, kind: .jobCompleted, level: .info, message: "m", workflowID: "wf-1", workflowType: "TEST")
        var backward = forward
        forward.stats = Stats(durationMs: 5)
        backward.stats = Stats(durationMs: 5)
        for (index, key) in keys.enumerated() {
            forward.outputs[key] = "v\(index)"
            forward.stats?.counters[key] = Int64(index)
        }
        for (index, key) in keys.enumerated().reversed() {
            backward.outputs[key] = "v\(index)"
            backward.stats?.counters[key] = Int64(index)
        }
        let bytes = RecordCodec.encode(forward)
        #expect(bytes == RecordCodec.encode(backward))
        #expect(try RecordCodec.decodeEvent(bytes) == forward)
        // In key order on the wire, the counters' map and then the outputs': each key's bytes come
        // after the previous key's.
        let sortedKeys = keys.sorted()
        var searchFrom = bytes.startIndex
        for key in sortedKeys + sortedKeys {
            let found = try #require(bytes[searchFrom...].firstRange(of: Array(key.utf8)), "\(key) after the keys before it")
            searchFrom = found.upperBound
        }
    }

    @Test("a step decoded with its event shares the event's job id string")
    func decodedStepsShareTheJobID() throws {
        let job = JobRef(id: "wf-01JD8Q2M4N5P-j2", name: "Process", position: 1)
        let event = LogEvent(
            timestampMs: 1, kind: .stepLogged, level: .info, message: "m", workflowID: "wf-01JD8Q2M4N5P", workflowType: "TEST",
            job: job, step: Step(id: "\(job.id)-s3", message: "m", timestampMs: 1)
        )
        let decoded = try RecordCodec.decodeEvent(RecordCodec.encode(event))
        let storage = { (text: String) in text.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil }
        #expect(storage(decoded.job!.id) != nil)
        #expect(storage(decoded.step!.idParts.prefix) == storage(decoded.job!.id))
    }

    @Test("truncated or garbage bytes throw instead of decoding something; a record that ends before the appended fields is one written before them")
    func malformed() throws {
        var event = LogEvent(timestampMs: 0, kind: .jobRetryScheduled, level: .warn, message: "hello", workflowID: "w", workflowType: "T")
        event.retryAtMs = 12_345
        let bytes = RecordCodec.encode(event)
        // The appended fields: the optional retryAtMs (a presence byte and a varint of 12,345
        // doubled, zigzag), then the optional worker (a presence byte).
        let withoutWorkerLength = bytes.count - 1
        let legacyLength = withoutWorkerLength - 4
        for length in 0..<bytes.count where length != legacyLength && length != withoutWorkerLength {
            #expect(throws: (any Error).self, "length \(length)") { try RecordCodec.decodeEvent(Array(bytes.prefix(length))) }
        }
        #expect(try RecordCodec.decodeEvent(Array(bytes.prefix(withoutWorkerLength))) == event)
        var legacy = event
        legacy.retryAtMs = nil
        #expect(try RecordCodec.decodeEvent(Array(bytes.prefix(legacyLength))) == legacy)
        #expect(throws: (any Error).self) { try RecordCodec.decodeEvent([UInt8](repeating: 0xFF, count: 40)) }
    }
}

@Suite("RecordCodec: workflows")
struct RecordCodecWorkflowTests {
    @Test("a workflow snapshot with every field set round-trips")
    func workflowRoundTrip() throws {
        var job = Job(id: "wf-1-j1", name: "Fetch", position: 0, status: .failed, progress: 0.5, progressMessage: "half",
                      stats: Stats(durationMs: 4, counters: ["itemsProcessed": 2]), error: "e", stack: "s",
                      startedAtMs: 10, finishedAtMs: 20, attempt: 4, attemptStartedAtMs: 15,
                      failedAttempts: [
                          JobAttempt(number: 2, outcome: .timedOut, startedAtMs: 10, finishedAtMs: 12, error: "slow ✓", errorCode: "TIMEOUT", stack: "t"),
                          JobAttempt(number: 3, outcome: .interrupted, startedAtMs: 13, finishedAtMs: 14, error: "stop", errorCode: "INTERRUPTED", stack: ""),
                      ],
                      nextAttemptAtMs: 99, firstCountedAttempt: 2, uncountedAttempts: 1,
                      queue: "import", worker: WorkerRef(name: "py", instanceID: "i-1"), lease: JobLease(epoch: 1 << 40, acceptedReports: 7))
        job.failedAttempts[0].worker = WorkerRef(name: "py ✓", instanceID: "i-0")
        job.steps = []
        let workflow = Workflow(
            id: "wf-1", type: "TEST", summary: "sum", status: .failed, createdAtMs: 1, startedAtMs: 2, finishedAtMs: 30,
            userID: "u", userName: "ada", params: ["jobs": "2", "steps": "5"],
            jobs: [job, Job(id: "wf-1-j2", name: "Process", position: 1, status: .cancelled)],
            stats: Stats(durationMs: 29, counters: ["itemsProcessed": 2]), error: "e", failedJobID: "wf-1-j1",
            failedJobName: "Fetch", requestID: "r", attempt: 2, deadlineAtMs: 3_600_002, cancelReason: "pressed Cancel ✓",
            startedBy: "admin ✓", retriedBy: "ops", cancelledBy: "ada"
        )
        #expect(try RecordCodec.decodeWorkflow(RecordCodec.encode(workflow)) == workflow)
    }

    @Test("a snapshot leaves the steps in memory out and counts them with the stored ones")
    func snapshotCountsStepsInMemory() throws {
        var workflow = Workflow(
            id: "wf-1", type: "TEST", createdAtMs: 1, startedAtMs: 2,
            jobs: [Job(id: "wf-1-j1", name: "Fetch", position: 0, status: .completed), Job(id: "wf-1-j2", name: "Process", position: 1)]
        )
        workflow.jobs[0].storedStepCount = 2
        workflow.jobs[0].steps = [
            Step(id: "wf-1-j1-s3", message: "third", timestampMs: 5, sequence: 9),
            Step(id: "wf-1-j1-s4", message: "fourth", timestampMs: 6, sequence: 10),
        ]
        workflow.jobs[1].steps = [Step(id: "wf-1-j2-s1", message: "first", timestampMs: 7, sequence: 11)]
        let decoded = try RecordCodec.decodeWorkflow(RecordCodec.encode(workflow))
        #expect(decoded.jobs.map(\.steps) == [[], []])
        #expect(decoded.jobs.map(\.storedStepCount) == [4, 1])
        var trimmed = workflow
        for index in trimmed.jobs.indices {
            trimmed.jobs[index].leaveStepsToStore()
        }
        #expect(decoded == trimmed)
    }

    @Test("a snapshot written before the attempt fields decodes with their defaults; one cut inside them throws")
    func legacySnapshot() throws {
        let workflow = Workflow(
            id: "wf-1", type: "TEST", createdAtMs: 1, startedAtMs: 2,
            jobs: [Job(id: "wf-1-j1", name: "Fetch", position: 0, status: .running, attempt: 3)], attempt: 1
        )
        var withoutCounts = workflow
        withoutCounts.deadlineAtMs = 500
        withoutCounts.jobs[0].firstCountedAttempt = 2
        var extended = withoutCounts
        extended.jobs[0].storedStepCount = 7
        let bytes = RecordCodec.encode(extended)
        #expect(try RecordCodec.decodeWorkflow(bytes) == extended)
        // A snapshot from before the audit fields (three empty strings, 1 byte each) names
        // nobody.
        let beforeAudit = bytes.count - 3
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(beforeAudit))) == extended)
        // The appended part: the deadline (presence + varint 1000), then the job's counted
        // attempt, attempt start, next attempt and failed-attempt count (1 + 1 + 1 + 1 bytes),
        // then the cancel reason's presence and the job's uncounted attempts (1 + 1), then the
        // job's queue, worker and lease presence (1 + 1 + 1), then the job's outputs, the result
        // and the artifacts (three counts of 0: 1 + 1 + 1), then the job's step count (1).
        let legacyLength = beforeAudit - 1 - 3 - 4 - 2 - 3 - 3
        // Before retry policies every attempt after the first came from a retry of the
        // workflow, which gives a job its whole budget: the budget counts from that attempt.
        var legacy = workflow
        legacy.jobs[0].firstCountedAttempt = 3
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(legacyLength))) == legacy)
        // A snapshot from before step counts: its jobs count none.
        let withoutCountsLength = beforeAudit - 1
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(withoutCountsLength))) == withoutCounts)
        // A snapshot from before outputs and artifacts.
        let withoutOutputsLength = withoutCountsLength - 3
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(withoutOutputsLength))) == withoutCounts)
        // A snapshot from before workers: the job's queue, worker and lease presence (1 + 1 + 1).
        let withoutWorkersLength = withoutOutputsLength - 3
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(withoutWorkersLength))) == withoutCounts)
        // A snapshot of the first version with attempts, before the cancel reason.
        let withoutCancelLength = withoutWorkersLength - 2
        #expect(try RecordCodec.decodeWorkflow(Array(bytes.prefix(withoutCancelLength))) == withoutCounts)
        let wholeLengths: Set = [withoutCancelLength, withoutWorkersLength, withoutOutputsLength, withoutCountsLength, beforeAudit]
        for length in (legacyLength + 1)..<bytes.count where !wholeLengths.contains(length) {
            #expect(throws: (any Error).self, "length \(length)") { try RecordCodec.decodeWorkflow(Array(bytes.prefix(length))) }
        }
    }
}
