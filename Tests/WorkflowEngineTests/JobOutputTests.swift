import EngineTestSupport
import Synchronization
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Job outputs, workflow results, records kept with their steps, and artifacts.
@Suite("Job outputs and artifacts")
struct JobOutputTests {
    /// `Count` sets `rows`; `Double` reads it and sets `doubled`; `Check` fails while `fail` is set.
    static func pipeline(resultOutputs: [String]? = nil, failing: Box<Bool> = Box(false), seen: Box<[JobInputs]> = Box([])) -> WorkflowTemplate {
        var template = WorkflowTemplate(type: "PIPE", jobs: [
            JobDefinition(name: "Count") { context in
                seen.update { $0.append(context.inputs) }
                try context.setOutput("rows", "16")
                try context.setOutput("source", "a.csv")
            },
            JobDefinition(name: "Double") { context in
                seen.update { $0.append(context.inputs) }
                let rows = Int(context.inputs["rows"] ?? "") ?? -1
                try context.setOutput("doubled", String(rows * 2))
                try context.setOutput("rows", "32")
            },
            JobDefinition(name: "Check", retryPolicy: .noRetries) { context in
                seen.update { $0.append(context.inputs) }
                try context.setOutput("checked", "yes")
                if failing.current { throw JobError("not yet", isRetryable: false) }
            },
        ])
        template.resultOutputs = resultOutputs
        return template
    }

    @Test("a job reads the outputs of the jobs before it; they appear in the tree and in JOB_COMPLETED; the result is the last job's")
    func outputsFlowForward() async throws {
        let seen = Box<[JobInputs]>([])
        let engine = EngineTesting.makeEngine([Self.pipeline(seen: seen)])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "PIPE"), on: engine)

        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map(\.outputs) == [["rows": "16", "source": "a.csv"], ["doubled": "32", "rows": "32"], ["checked": "yes"]])
        let inputs = seen.current
        #expect(inputs[0].entries.isEmpty)
        #expect(inputs[1]["rows"] == "16")
        #expect(inputs[2]["rows"] == "32", "the latest job that set it wins")
        #expect(inputs[2].outputs(ofJob: "Count") == ["rows": "16", "source": "a.csv"])
        #expect(inputs[2].entries.map(\.position) == [0, 1])
        #expect(events.of(.jobCompleted).map(\.outputs) == workflow.jobs.map(\.outputs))
        #expect(workflow.result == ["checked": "yes"])
        #expect(events.of(.workflowCompleted).first?.outputs == ["checked": "yes"])
    }

    @Test("a template designates its result among every job's outputs")
    func designatedResult() async throws {
        let engine = EngineTesting.makeEngine([Self.pipeline(resultOutputs: ["rows", "source", "missing"])])
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "PIPE"), on: engine)
        #expect(workflow.result == ["rows": "32", "source": "a.csv"])
    }

    @Test("a retry keeps the outputs of the jobs that completed and clears those of the jobs it runs again")
    func retryKeepsEarlierOutputs() async throws {
        let failing = Box(true)
        let seen = Box<[JobInputs]>([])
        let engine = EngineTesting.makeEngine([Self.pipeline(failing: failing, seen: seen)])
        let (failed, _) = try await EngineTesting.run(WorkflowRequest(type: "PIPE"), on: engine)
        #expect(failed.status == .failed)
        #expect(failed.jobs[2].outputs.isEmpty, "a failed attempt's outputs do not count")
        #expect(failed.result.isEmpty)

        failing.update { $0 = false }
        let retried = try await engine.retry(id: failed.id).value.workflow
        #expect(retried.jobs[0].outputs["rows"] == "16" && retried.jobs[2].outputs.isEmpty)
        let events = await EngineTesting.eventsUntilTerminal(of: failed.id, in: engine.events)
        let finished = try await engine.workflow(id: failed.id)
        #expect(finished.status == .completed)
        #expect(seen.current.last?["doubled"] == "32", "the retried job read its predecessors' outputs")
        #expect(finished.result == ["checked": "yes"])
        #expect(events.of(.workflowCompleted).last?.outputs == ["checked": "yes"])
    }

    @Test("outputs past the limits are refused with the output named; the job's outputs stay as they were")
    func outputLimits() async throws {
        let errors = Box<[String]>([])
        let template = WorkflowTemplate(type: "BIG", jobs: [
            JobDefinition(name: "Big") { context in
                for (name, value) in [("", "x"), ("bad name", "x"), (String(repeating: "n", count: 129), "x"),
                                      ("ok", String(repeating: "v", count: 60_000)), ("more", String(repeating: "v", count: 6_000)),
                                      ("ok", "small"), ("more", String(repeating: "v", count: 6_000))] {
                    do throws(EngineError) {
                        try context.setOutput(name, value)
                    } catch {
                        errors.update { $0.append("\(error.field ?? "-")") }
                    }
                }
            },
        ])
        let engine = EngineTesting.makeEngine([template])
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "BIG"), on: engine)
        #expect(errors.current == ["outputs.", "outputs.bad name", "outputs.\(String(repeating: "n", count: 129))", "outputs.more"])
        #expect(workflow.jobs[0].outputs["ok"] == "small", "replacing a value frees its bytes")
        #expect(workflow.jobs[0].outputs["more"]?.count == 6_000)
        #expect(throws: EngineError.self) { try JobOutputLimits.check(["a": String(repeating: "v", count: 65_536)]) }
        try JobOutputLimits.check(["a": String(repeating: "v", count: 65_535)])
    }

    @Test("records a job keeps go to the store in the same write as the steps that report them")
    func recordsCommitWithTheirSteps() async throws {
        let store = ManualStore()
        let record = StoredRecord(collection: "asset", key: "1", revision: 7, body: Array("P-101".utf8))
        let template = WorkflowTemplate(type: "KEEP", jobs: [
            JobDefinition(name: "Save") { context in
                context.logStep("before")
                context.logSteps([StepEntry("Created P-101"), StepEntry("Linked P-101 → M-101")], keeping: [record])
                context.logStep("after")
            },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let engine = WorkflowEngine(templates: templates, store: store, logger: EngineTesting.logger)
        try await engine.restore()
        let started = try await engine.start(WorkflowRequest(type: "KEEP")).value
        _ = await EngineTesting.eventsUntilTerminalCommitting(of: started.id, in: engine.events, store: store)

        let groups = store.enqueuedGroups.filter { group in
            group.contains { if case .records = $0 { true } else { false } }
        }
        #expect(groups.count == 1)
        let messages = groups.first?.flatMap { write -> [String] in
            if case .events(let events) = write { events.compactMap(\.step?.message) } else { [] }
        }
        #expect(messages?.contains("Created P-101") == true && messages?.contains("Linked P-101 → M-101") == true)
        #expect(try store.records(in: "asset") == [record])
    }

    @Test("an artifact joins the workflow with its step in one write; a new attempt replaces it and the old file is released after the commit")
    func artifactsReplaceAndRelease() async throws {
        let store = ManualStore()
        let storage = RecordingStorage()
        let attempts = Box(0)
        let template = WorkflowTemplate(type: "FILES", jobs: [
            JobDefinition(name: "Write", retryPolicy: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))) { context in
                let attempt = attempts.update { count -> Int in
                    count += 1
                    return count
                }
                context.recordArtifact(
                    name: "report.pdf", contentType: "application/pdf", sizeBytes: Int64(attempt), sha256: String(repeating: "\(attempt)", count: 64),
                    message: "Wrote report.pdf"
                )
                if attempt == 1 { throw JobError("try again") }
            },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let engine = WorkflowEngine(templates: templates, store: store, artifactStorage: storage, logger: EngineTesting.logger)
        try await engine.restore()
        let started = try await engine.start(WorkflowRequest(type: "FILES")).value
        let events = await EngineTesting.eventsUntilTerminalCommitting(of: started.id, in: engine.events, store: store)
        store.commitQueued()

        let workflow = try await engine.workflow(id: started.id)
        #expect(workflow.status == .completed)
        #expect(workflow.artifacts.count == 1)
        let artifact = try #require(workflow.artifacts.first)
        #expect(artifact.id == "\(started.id).report.pdf" && artifact.sizeBytes == 2 && artifact.jobID == workflow.jobs[0].id)
        let steps = events.of(.stepLogged)
        #expect(steps.map(\.step?.entity?.route) == Array(repeating: "/api/v1/artifacts/\(artifact.id)", count: 2))
        // Released off the engine once a flush committed the replacement.
        for _ in 0..<500 where storage.removed.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(storage.removed.map(\.sizeBytes) == [1], "the first attempt's file, once the replacement was committed")
        let artifactWrites = store.enqueuedGroups.filter { group in
            group.contains { if case .workflow(let snapshot, _) = $0 { !snapshot.artifacts.isEmpty } else { false } }
                && group.contains { if case .events(let events) = $0 { events.contains { $0.kind == .stepLogged } } else { false } }
        }
        #expect(artifactWrites.count == 2, "each registration commits with its step")
        #expect(await engine.retainedArtifacts() == [artifact])
    }

    @Test("a snapshot queued while a job runs leaves that job's steps in memory out, counted; a finished job's go as they are")
    func runningJobsStepsStayOutOfSnapshots() async throws {
        let store = ManualStore()
        let engineOnceMade = Mutex<WorkflowEngine?>(nil)
        let template = WorkflowTemplate(type: "STEPS_THEN_FILE", jobs: [
            JobDefinition(name: "Log") { context in
                context.logStep("one")
            },
            JobDefinition(name: "Write") { context in
                context.logStep("two")
                context.logStep("three")
                // The engine has both steps in the job's tree before the artifact's snapshot.
                let engine = try #require(engineOnceMade.withLock { $0 })
                while try await engine.workflow(id: context.workflowID).jobs[1].steps.count < 2 {
                    try await Task.sleep(for: .milliseconds(1))
                }
                context.recordArtifact(name: "a.json", contentType: "application/json", sizeBytes: 2, sha256: String(repeating: "a", count: 64), message: "Wrote a.json")
            },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let engine = WorkflowEngine(templates: templates, store: store, artifactStorage: RecordingStorage(), logger: EngineTesting.logger)
        engineOnceMade.withLock { $0 = engine }
        try await engine.restore()
        let started = try await engine.start(WorkflowRequest(type: "STEPS_THEN_FILE")).value
        _ = await EngineTesting.eventsUntilTerminalCommitting(of: started.id, in: engine.events, store: store)

        let snapshots = store.enqueuedGroups.joined().compactMap { write -> Workflow? in
            if case .workflow(let snapshot, _) = write, !snapshot.artifacts.isEmpty { snapshot } else { nil }
        }
        let withArtifact = try #require(snapshots.first)
        #expect(withArtifact.jobs[1].status == .running)
        #expect(withArtifact.jobs[1].steps.isEmpty && withArtifact.jobs[1].storedStepCount == 2)
        #expect(withArtifact.jobs[0].status == .completed)
        #expect(withArtifact.jobs[0].steps.map(\.message) == ["one"])
        let workflow = try await engine.workflow(id: started.id)
        #expect(workflow.jobs.map(\.stepCount) == [1, 3])
    }

    @Test("a forgotten workflow's artifacts are released once the forget is committed")
    func forgettingReleasesArtifacts() async throws {
        let storage = RecordingStorage()
        let template = WorkflowTemplate(type: "ONE_FILE", jobs: [
            JobDefinition(name: "Write") { context in
                context.recordArtifact(name: "a.json", contentType: "application/json", sizeBytes: 2, sha256: String(repeating: "a", count: 64), message: "Wrote a.json")
            },
        ])
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let engine = WorkflowEngine(templates: templates, workflowRetention: 1, artifactStorage: storage, logger: EngineTesting.logger)
        let (first, _) = try await EngineTesting.run(WorkflowRequest(type: "ONE_FILE"), on: engine)
        #expect(storage.removed.isEmpty)
        _ = try await EngineTesting.run(WorkflowRequest(type: "ONE_FILE"), on: engine)
        _ = try await EngineTesting.run(WorkflowRequest(type: "TEST", params: ["jobs": "1", "steps": "1", "step_delay_ms": "0"]), on: engine)
        #expect(storage.removed.map(\.workflowID).contains(first.id))
    }
}

extension JobOutputTests {
    @Test("a worker reads the earlier jobs' outputs in its assignment and completes with its own; too large ones are refused and change nothing")
    func remoteOutputs() async throws {
        let saw = Box<String?>(nil)
        let template = WorkflowTemplate(type: "REMOTE_OUT", jobs: [
            JobDefinition(name: "Fetch") { context in try context.setOutput("rows", "16") },
            JobDefinition(name: "Process", remote: RemoteJob(queue: "q"), retryPolicy: .noRetries),
            JobDefinition(name: "Save") { context in saw.update { $0 = context.inputs["processed"] } },
        ])
        let engine = EngineTesting.makeEngine([template])
        let worker = TestWorker(engine, instance: "w-out")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "REMOTE_OUT")).value
        let assignment = try #require(try await worker.awaitAssignments(1).first)
        #expect(assignment.inputs.entries.map(\.outputs) == [["rows": "16"]])
        #expect(assignment.inputs.entries.first?.jobName == "Fetch")

        await #expect(throws: EngineError.self) {
            try await worker.report(assignment.lease, 1, end: .completed(outputs: ["big": String(repeating: "x", count: 70_000)]))
        }
        #expect(try await engine.workflow(id: started.id).jobs[1].status == .running, "the refused end changed nothing")
        try await worker.report(assignment.lease, 1, end: .completed(outputs: ["processed": "14"]))
        let events = await EngineTesting.eventsUntilTerminal(of: started.id, in: engine.events)
        let finished = try await engine.workflow(id: started.id)
        #expect(finished.status == .completed)
        #expect(finished.jobs[1].outputs == ["processed": "14"])
        #expect(events.first(.jobCompleted, position: 1)?.outputs == ["processed": "14"])
        #expect(saw.current == "14")
    }
}

/// An ``ArtifactStorage`` that records what it was told to remove.
final class RecordingStorage: ArtifactStorage {
    private let log = Mutex<[Artifact]>([])

    var removed: [Artifact] { log.withLock { $0 } }

    func remove(_ artifacts: [Artifact]) {
        log.withLock { $0 += artifacts }
    }
}
