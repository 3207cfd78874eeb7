import Foundation
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

/// `Fixtures/v1-workflows.sqlite` was written by `workflowd` as it was at commit 040abb2, before
/// the store gave its enums codes of their own (it wrote each case's declaration index, which
/// the codes keep). `Fixtures/make-v1-database.sh` made it with that commit's `workflowd` and
/// `workflowctl`: TEST workflows that complete, fail, fail again after a retry, are cancelled
/// while a job runs, and are interrupted by a graceful shutdown, and an IMPORT_ASSETS of four
/// rows (DEBUG, WARN and ERROR steps); then the WAL was checkpointed into the one file.
@Suite("A database written before enum codes were pinned")
struct StoredFixtureTests {
    static let logger = Logger(label: "workflow-store-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The newest sequence in the fixture.
    static let lastSequence: UInt64 = 105

    /// A data directory holding a copy of the fixture, so a test never changes the original.
    static func copyOfFixture() throws -> String {
        let fixture = try #require(Bundle.module.url(forResource: "v1-workflows", withExtension: "sqlite"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: directory.appendingPathComponent("workflows.sqlite"))
        return directory.path
    }

    /// What `store` recovers, with the steps of ended workflows (which it leaves in the store,
    /// counted) read back into their jobs; each job's count must match what is read.
    static func recoveredWithSteps(_ store: SQLiteEventStore) throws -> RecoveredState {
        var recovered = try store.recover()
        for index in recovered.workflows.indices where recovered.workflows[index].workflow.status != .running {
            let id = recovered.workflows[index].workflow.id
            for entry in try store.steps(ofWorkflow: id, through: recovered.lastSequence, jobIDs: []) {
                recovered.workflows[index].workflow.jobs[entry.jobPosition].steps.append(entry.step)
            }
            for position in recovered.workflows[index].workflow.jobs.indices {
                let job = recovered.workflows[index].workflow.jobs[position]
                #expect(job.storedStepCount == job.steps.count, "\(job.id) counts \(job.storedStepCount) stored steps, \(job.steps.count) read")
                recovered.workflows[index].workflow.jobs[position].storedStepCount = 0
            }
        }
        return recovered
    }

    @Test("workflows, jobs, steps and lifecycle events read back as the old server wrote them")
    func readsBackExactly() throws {
        let store = try SQLiteEventStore(configuration: .init(directory: try Self.copyOfFixture()), logger: Self.logger)
        let recovered = try Self.recoveredWithSteps(store)
        let events = try store.events(after: 0, through: Self.lastSequence, limit: 1_000)

        #expect(recovered.lastSequence == Self.lastSequence)
        #expect(events.map(\.sequence) == Array(1...Self.lastSequence))
        let outline = recovered.workflows.flatMap { stored in
            Self.outline(stored, events: events.filter { $0.workflowID == stored.workflow.id })
        }
        #expect(outline.joined(separator: "\n") == Self.expectedOutline)
    }

    @Test("ids and timestamps hang together, and every step reads the same from its event and from its workflow")
    func stepsAndEventsAgree() throws {
        let store = try SQLiteEventStore(configuration: .init(directory: try Self.copyOfFixture()), logger: Self.logger)
        let workflows = try Self.recoveredWithSteps(store).workflows.map(\.workflow)
        let events = try store.events(after: 0, through: Self.lastSequence, limit: 1_000)

        #expect(workflows.first?.createdAtMs == 1_796_398_851_275)
        var stepsBySequence: [UInt64: Step] = [:]
        for workflow in workflows {
            let finishedAtMs = try #require(workflow.finishedAtMs)
            #expect(workflow.createdAtMs <= workflow.startedAtMs && workflow.startedAtMs <= finishedAtMs)
            for job in workflow.jobs {
                #expect(job.id == "\(workflow.id)-j\(job.position + 1)")
                for (index, step) in job.steps.enumerated() {
                    #expect(step.id == "\(job.id)-s\(index + 1)")
                    #expect((workflow.startedAtMs...finishedAtMs).contains(step.timestampMs))
                    stepsBySequence[step.sequence] = step
                }
            }
            let terminal = try #require(events.last { $0.workflowID == workflow.id })
            #expect(terminal.workflowStatus == workflow.status)
            #expect(terminal.stats == workflow.stats)
            #expect(terminal.timestampMs == finishedAtMs)
        }
        let stepEvents = events.filter { $0.kind == .stepLogged }
        #expect(stepEvents.count == stepsBySequence.count)
        for event in stepEvents {
            #expect(event.step == stepsBySequence[event.sequence])
            #expect(event.level == event.step?.level)
        }
    }

    @Test("an engine restores it and goes on in the same file: a retry and a new workflow")
    func engineGoesOn() async throws {
        let store = try SQLiteEventStore(configuration: .init(directory: try Self.copyOfFixture()), logger: Self.logger)
        let stored = try store.recover().workflows.map(\.workflow)
        let engine = WorkflowEngine(templates: .builtIn, store: store, logger: Self.logger)
        let restored = try await engine.restore()
        #expect(restored.workflows == stored.count)
        #expect(restored.resumed == 0)
        for workflow in stored {
            #expect(try await engine.workflow(id: workflow.id) == workflow)
        }

        let failed = try #require(stored.first { $0.summary == "fails" })
        _ = try await engine.retry(id: failed.id)
        let started = try await engine.start(WorkflowRequest(type: "TEST", params: ["jobs": "1", "steps": "1", "step_delay_ms": "0"])).value
        for id in [failed.id, started.id] {
            while try await engine.workflow(id: id).status == .running {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        await engine.shutdown()
        store.flush()

        let reread = try Self.recoveredWithSteps(store).workflows.map(\.workflow)
        #expect(reread.count == stored.count + 1)
        let retried = try #require(reread.first { $0.id == failed.id })
        #expect(retried.status == .failed)
        #expect(retried.attempt == 2)
        #expect(retried.jobs.map(\.status) == [.completed, .failed, .cancelled])
        #expect(retried.jobs[1].steps.map(\.attempt) == [1, 1, 2, 2])
        #expect(retried.jobs[1].steps.map(\.level) == [.info, .error, .info, .error])
        #expect(reread.first { $0.id == started.id }?.status == .completed)
        let newEvents = try store.events(after: Self.lastSequence, through: Self.lastSequence + 100, limit: 100)
        #expect(newEvents.first?.sequence == Self.lastSequence + 1)
        #expect(newEvents.first?.kind == .workflowRetried)
        #expect(newEvents.last { $0.workflowID == started.id }?.kind == .workflowCompleted)
    }

    /// One line per workflow, job, step and lifecycle event (progress updates are counted), with
    /// every field but ids and timestamps (``stepsAndEventsAgree()`` checks those).
    static func outline(_ stored: RecoveredState.StoredWorkflow, events: [WorkflowModel.LogEvent]) -> [String] {
        let workflow = stored.workflow
        var lines = [
            "\(workflow.summary): \(workflow.type) \(workflow.status) attempt \(workflow.attempt) from #\(stored.firstSequence)"
                + " user \(workflow.userID)/\(workflow.userName) request '\(workflow.requestID)'"
                + " params \(text(workflow.params)) stats \(text(workflow.stats.counters))"
                + " error '\(workflow.error ?? "-")' at \(workflow.failedJobName ?? "-")",
        ]
        for job in workflow.jobs {
            lines.append(
                "  \(job.position) \(job.name): \(job.status) attempt \(job.attempt) progress \(job.progress) '\(job.progressMessage)'"
                    + " stats \(text(job.stats.counters)) error '\(job.error ?? "-")'"
            )
            for step in job.steps {
                let entity = step.entity.map { " [\($0.tag) \($0.route) \($0.id) \($0.type)]" } ?? ""
                lines.append("    \(step.level) a\(step.attempt) \(step.message)\(entity)")
            }
        }
        var progressUpdates = 0
        for event in events {
            switch event.kind {
            case .stepLogged:
                continue
            case .progressUpdated:
                progressUpdates += 1
            default:
                let job = event.job.map { " \($0.name)" } ?? ""
                let status = event.workflowStatus.map { " workflow \($0)" } ?? event.jobStatus.map { " job \($0)" } ?? ""
                lines.append("  #\(event.sequence) \(event.kind) \(event.level) a\(event.attempt)\(job)\(status): \(event.message)")
            }
        }
        lines.append("  \(progressUpdates) progress updates")
        return lines
    }

    private static func text(_ pairs: [String: some Any]) -> String {
        pairs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// What the fixture holds, as ``outline(_:events:)`` writes it.
    static let expectedOutline = """
        completes: TEST COMPLETED attempt 1 from #1 user ada/ada request 'fixture-completes' params jobs=2,step_delay_ms=0,steps=2 stats itemsProcessed=4 error '-' at -
          0 Fetch: COMPLETED attempt 1 progress 1.0 'Processed 2/2 items' stats itemsProcessed=2 error '-'
            INFO a1 Processed item 1 of 2 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a1 Processed item 2 of 2 [ITEM-1-2 /items/1-2 1-2 TestItem]
          1 Process: COMPLETED attempt 1 progress 1.0 'Processed 2/2 items' stats itemsProcessed=2 error '-'
            INFO a1 Processed item 1 of 2 [ITEM-2-1 /items/2-1 2-1 TestItem]
            INFO a1 Processed item 2 of 2 [ITEM-2-2 /items/2-2 2-2 TestItem]
          #1 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow TEST started with 2 jobs
          #2 JOB_STARTED INFO a1 Fetch job RUNNING: Job Fetch started
          #7 JOB_COMPLETED INFO a1 Fetch job COMPLETED: Job Fetch completed in 0 ms
          #8 JOB_STARTED INFO a1 Process job RUNNING: Job Process started
          #13 JOB_COMPLETED INFO a1 Process job COMPLETED: Job Process completed in 0 ms
          #14 WORKFLOW_COMPLETED INFO a1 workflow COMPLETED: Workflow TEST completed in 0 ms
          4 progress updates
        fails: TEST FAILED attempt 1 from #15 user bob/bob request '' params fail_job=2,fail_message=disk full,jobs=3,step_delay_ms=0,steps=2 stats itemsFailed=1,itemsProcessed=3 error 'disk full' at Process
          0 Fetch: COMPLETED attempt 1 progress 1.0 'Processed 2/2 items' stats itemsProcessed=2 error '-'
            INFO a1 Processed item 1 of 2 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a1 Processed item 2 of 2 [ITEM-1-2 /items/1-2 1-2 TestItem]
          1 Process: FAILED attempt 1 progress 0.5 'Processed 1/2 items' stats itemsFailed=1,itemsProcessed=1 error 'disk full'
            INFO a1 Processed item 1 of 2 [ITEM-2-1 /items/2-1 2-1 TestItem]
            ERROR a1 Failed to process item 2 of 2 [ITEM-2-2 /items/2-2 2-2 TestItem]
          2 Validate: CANCELLED attempt 1 progress 0.0 '' stats  error '-'
          #15 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow TEST started with 3 jobs
          #16 JOB_STARTED INFO a1 Fetch job RUNNING: Job Fetch started
          #21 JOB_COMPLETED INFO a1 Fetch job COMPLETED: Job Fetch completed in 0 ms
          #22 JOB_STARTED INFO a1 Process job RUNNING: Job Process started
          #26 JOB_FAILED ERROR a1 Process job FAILED: Job Process failed: disk full
          #27 JOB_CANCELLED WARN a1 Validate job CANCELLED: Job Validate cancelled because Process failed
          #28 FAILURE_NOTICE ERROR a1 Process: TEST failed at Process: disk full
          #29 WORKFLOW_FAILED ERROR a1 workflow FAILED: Workflow TEST failed at Process: disk full
          3 progress updates
        retried: TEST FAILED attempt 2 from #30 user ada/ada request '' params fail_job=1,jobs=2,step_delay_ms=0,steps=4 stats itemsFailed=1,itemsProcessed=2 error 'Simulated failure' at Fetch
          0 Fetch: FAILED attempt 2 progress 0.5 'Processed 2/4 items' stats itemsFailed=1,itemsProcessed=2 error 'Simulated failure'
            INFO a1 Processed item 1 of 4 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a1 Processed item 2 of 4 [ITEM-1-2 /items/1-2 1-2 TestItem]
            ERROR a1 Failed to process item 3 of 4 [ITEM-1-3 /items/1-3 1-3 TestItem]
            INFO a2 Processed item 1 of 4 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a2 Processed item 2 of 4 [ITEM-1-2 /items/1-2 1-2 TestItem]
            ERROR a2 Failed to process item 3 of 4 [ITEM-1-3 /items/1-3 1-3 TestItem]
          1 Process: CANCELLED attempt 2 progress 0.0 '' stats  error '-'
          #30 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow TEST started with 2 jobs
          #31 JOB_STARTED INFO a1 Fetch job RUNNING: Job Fetch started
          #37 JOB_FAILED ERROR a1 Fetch job FAILED: Job Fetch failed: Simulated failure
          #38 JOB_CANCELLED WARN a1 Process job CANCELLED: Job Process cancelled because Fetch failed
          #39 FAILURE_NOTICE ERROR a1 Fetch: TEST failed at Fetch: Simulated failure
          #40 WORKFLOW_FAILED ERROR a1 workflow FAILED: Workflow TEST failed at Fetch: Simulated failure
          #73 WORKFLOW_RETRIED INFO a2 Fetch workflow RUNNING: Workflow TEST retried from Fetch (attempt 2)
          #74 JOB_STARTED INFO a2 Fetch job RUNNING: Job Fetch started
          #80 JOB_FAILED ERROR a2 Fetch job FAILED: Job Fetch failed: Simulated failure
          #81 JOB_CANCELLED WARN a2 Process job CANCELLED: Job Process cancelled because Fetch failed
          #82 FAILURE_NOTICE ERROR a2 Fetch: TEST failed at Fetch: Simulated failure
          #83 WORKFLOW_FAILED ERROR a2 workflow FAILED: Workflow TEST failed at Fetch: Simulated failure
          4 progress updates
        cancelled: TEST CANCELLED attempt 1 from #41 user cy/cy request '' params jobs=2,step_delay_ms=100,steps=1000 stats itemsProcessed=5 error '-' at -
          0 Fetch: CANCELLED attempt 1 progress 0.005 'Processed 5/1000 items' stats itemsProcessed=5 error '-'
            INFO a1 Processed item 1 of 1000 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a1 Processed item 2 of 1000 [ITEM-1-2 /items/1-2 1-2 TestItem]
            INFO a1 Processed item 3 of 1000 [ITEM-1-3 /items/1-3 1-3 TestItem]
            INFO a1 Processed item 4 of 1000 [ITEM-1-4 /items/1-4 1-4 TestItem]
            INFO a1 Processed item 5 of 1000 [ITEM-1-5 /items/1-5 1-5 TestItem]
          1 Process: CANCELLED attempt 1 progress 0.0 '' stats  error '-'
          #41 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow TEST started with 2 jobs
          #42 JOB_STARTED INFO a1 Fetch job RUNNING: Job Fetch started
          #92 JOB_CANCELLED WARN a1 Fetch job CANCELLED: Job Fetch cancelled while running: fixture cancel
          #93 JOB_CANCELLED WARN a1 Process job CANCELLED: Job Process cancelled: fixture cancel
          #94 WORKFLOW_CANCELLED WARN a1 workflow CANCELLED: Workflow TEST cancelled: fixture cancel
          5 progress updates
        imported: IMPORT_ASSETS COMPLETED attempt 1 from #43 user ada/ada request '' params file_path=assets.csv stats itemsCreated=3,itemsFailed=1,itemsFetched=4,itemsProcessed=4,itemsUnchanged=0,itemsUpdated=0,itemsValid=3 error '-' at -
          0 Fetch External Assets: COMPLETED attempt 1 progress 1.0 'Fetched 4/4 rows' stats itemsFetched=4 error '-'
            INFO a1 Read 4 rows from assets.csv [assets.csv assets.csv  File]
            DEBUG a1 Fetched P-101 (line 2) [P-101   Asset]
            DEBUG a1 Fetched M-101 (line 3) [M-101   Asset]
            DEBUG a1 Fetched M-102 (line 4) [M-102   Asset]
            DEBUG a1 Fetched P_104 (line 5) [P_104   Asset]
          1 Process Data: COMPLETED attempt 1 progress 1.0 'Processed 4/4 rows' stats itemsFailed=0,itemsProcessed=4 error '-'
            INFO a1 Processed 4 rows: 4 ready, 0 skipped
          2 Validate: COMPLETED attempt 1 progress 1.0 'Validated 4/4 assets' stats itemsFailed=1,itemsValid=3 error '-'
            WARN a1 Line 4: M-102 links to unknown P-999; link dropped [M-102   Asset]
            ERROR a1 Line 5: rejected P_104: the tag does not look like P-101 (letters, a dash, digits) [P_104   Asset]
            INFO a1 Validated 4 assets: 3 valid, 1 rejected
          3 Save to Database: COMPLETED attempt 1 progress 1.0 'Saved 3/3 assets' stats itemsCreated=3,itemsUnchanged=0,itemsUpdated=0 error '-'
            INFO a1 Created Pump P-101 [P-101 /assets/1 1 Asset]
            INFO a1 Created Motor M-101 [M-101 /assets/2 2 Asset]
            INFO a1 Linked M-101 → P-101 [M-101 /assets/2 2 Asset]
            INFO a1 Created Motor M-102 [M-102 /assets/3 3 Asset]
            INFO a1 Saved 3 assets: 3 created, 0 updated, 0 unchanged
          #43 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow IMPORT_ASSETS started with 4 jobs
          #44 JOB_STARTED INFO a1 Fetch External Assets job RUNNING: Job Fetch External Assets started
          #51 JOB_COMPLETED INFO a1 Fetch External Assets job COMPLETED: Job Fetch External Assets completed in 0 ms
          #52 JOB_STARTED INFO a1 Process Data job RUNNING: Job Process Data started
          #55 JOB_COMPLETED INFO a1 Process Data job COMPLETED: Job Process Data completed in 0 ms
          #56 JOB_STARTED INFO a1 Validate job RUNNING: Job Validate started
          #61 JOB_COMPLETED INFO a1 Validate job COMPLETED: Job Validate completed in 0 ms
          #62 JOB_STARTED INFO a1 Save to Database job RUNNING: Job Save to Database started
          #69 JOB_COMPLETED INFO a1 Save to Database job COMPLETED: Job Save to Database completed in 0 ms
          #70 WORKFLOW_COMPLETED INFO a1 workflow COMPLETED: Workflow IMPORT_ASSETS completed in 3 ms
          4 progress updates
        interrupted: TEST FAILED attempt 1 from #95 user cy/cy request '' params jobs=1,step_delay_ms=100,steps=1000 stats itemsProcessed=3 error 'interrupted: the server is shutting down' at Fetch
          0 Fetch: FAILED attempt 1 progress 0.003 'Processed 3/1000 items' stats itemsProcessed=3 error 'interrupted: the server is shutting down'
            INFO a1 Processed item 1 of 1000 [ITEM-1-1 /items/1-1 1-1 TestItem]
            INFO a1 Processed item 2 of 1000 [ITEM-1-2 /items/1-2 1-2 TestItem]
            INFO a1 Processed item 3 of 1000 [ITEM-1-3 /items/1-3 1-3 TestItem]
          #95 WORKFLOW_STARTED INFO a1 workflow RUNNING: Workflow TEST started with 1 jobs
          #96 JOB_STARTED INFO a1 Fetch job RUNNING: Job Fetch started
          #103 JOB_FAILED ERROR a1 Fetch job FAILED: Job Fetch failed: interrupted: the server is shutting down
          #104 FAILURE_NOTICE ERROR a1 Fetch: TEST failed at Fetch: interrupted: the server is shutting down
          #105 WORKFLOW_FAILED ERROR a1 workflow FAILED: Workflow TEST failed at Fetch: interrupted: the server is shutting down
          3 progress updates
        """
}
