import EngineTestSupport
import Testing
import WorkflowModel
@testable import WorkflowEngine

/// Remote jobs in the engine, with workers connected in process: dispatch under leases, fenced
/// and numbered reports, slots, expiry, cancellation and hand-back.
@Suite("Remote jobs")
struct RemoteJobTests {
    /// `LOCAL → REMOTE(queue q) → LOCAL`, the remote job with `remote` and `retryPolicy`.
    static func mixedTemplate(
        type: String = "MIXED",
        remote: RemoteJob = RemoteJob(queue: "q"),
        retryPolicy: RetryPolicy = .noRetries,
        timeout: Duration? = nil,
        cancellationGrace: Duration = .seconds(5)
    ) -> WorkflowTemplate {
        WorkflowTemplate(
            type: type,
            jobs: [
                JobDefinition(name: "Fetch") { context in context.logStep("Fetched") },
                JobDefinition(name: "Process", remote: remote, retryPolicy: retryPolicy, timeout: timeout, cancellationGrace: cancellationGrace),
                JobDefinition(name: "Save") { context in context.logStep("Saved") },
            ]
        )
    }

    @Test("a remote job between two local ones runs on a worker: its steps, progress and counters become the job's, and the workflow completes")
    func mixedWorkflowCompletes() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED", params: ["file": "a.csv"])).value
        let assignment = try #require(try await worker.awaitAssignments(1).first)
        #expect(assignment.lease.workflowID == started.id && assignment.lease.attempt == 1)
        #expect(assignment.jobName == "Process" && assignment.jobPosition == 1 && assignment.queue == "q")
        #expect(assignment.params == ["file": "a.csv"] && assignment.idempotencyKey == started.jobs[1].id)

        let entity = EntityReference(tag: "P-101", route: "/assets/1", id: "1", type: "asset")
        try await worker.report(
            assignment.lease, 1,
            updates: [.step(message: "Created P-101", level: .info, entity: entity, timestampMs: 5), .progress(0.5, message: "half", timestampMs: 0)],
            counters: ["itemsCreated": 1]
        )
        try await worker.report(assignment.lease, 2, updates: [.step(message: "Created P-102", level: .warn, entity: nil, timestampMs: 0)],
                                counters: ["itemsCreated": 2], end: .completed(outputs: [:]))
        let events = await EngineTesting.eventsUntilTerminal(of: started.id, in: engine.events)
        let finished = try await engine.workflow(id: started.id)
        #expect(finished.status == .completed)
        let job = finished.jobs[1]
        #expect(job.steps.map(\.message) == ["Created P-101", "Created P-102"])
        #expect(job.steps[0].entity == entity && job.steps[0].timestampMs == 5 && job.steps[1].level == .warn)
        #expect(job.stats.counters == ["itemsCreated": 2] && job.progress == 1)
        #expect(job.worker == WorkerRef(name: "test-worker", instanceID: "w-1") && job.queue == "q")
        #expect(job.lease == JobLease(epoch: assignment.lease.epoch, acceptedReports: 2))
        let assigned = try #require(events.first(.jobAssigned, position: 1))
        #expect(assigned.worker == job.worker)
        // The lease epoch is the attempt's jobStarted sequence: never given twice.
        #expect(events.first(.jobStarted, position: 1)?.sequence == assignment.lease.epoch)
        #expect(finished.jobs[2].status == .completed)
        #expect(await engine.workers().first?.leases.isEmpty == true)
    }

    @Test("a report sent again is applied once and acknowledged again; one after a gap is OUT_OF_RANGE; one under a wrong lease is refused; none of them changes anything")
    func reportsAreFenced() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        let step = WorkerReport.Update.step(message: "Created P-101", level: .info, entity: nil, timestampMs: 0)
        #expect(try await worker.report(lease, 1, updates: [step]) == 1)
        #expect(try await worker.report(lease, 1, updates: [step]) == 1)
        await #expect(throws: EngineError(code: .outOfRange, message: "report 3 of \(lease) comes after a gap: the last one applied is 1", field: "sequence")) {
            try await worker.report(lease, 3, updates: [step])
        }
        var stale = lease
        stale.epoch += 1_000
        await #expect(throws: EngineError.self) { try await worker.report(stale, 2, updates: [step]) }
        var otherJob = lease
        otherJob.jobID = "nope"
        await #expect(throws: EngineError.self) { try await worker.report(otherJob, 2, updates: [step]) }
        await #expect(throws: EngineError.self) {
            try await worker.report(lease, 2, updates: [.progress(1.5, message: "", timestampMs: 0)])
        }
        let stranger = TestWorker(engine, instance: "w-2")
        try await stranger.connect()
        do {
            try await stranger.report(lease, 2, updates: [step])
            Issue.record("a report from a worker that does not hold the lease was applied")
        } catch {
            #expect(error.code == .failedPrecondition)
        }
        #expect(try await engine.workflow(id: started.id).jobs[1].steps.map(\.message) == ["Created P-101"])
        #expect(try await worker.report(lease, 2, end: .completed(outputs: [:])) == 2)
        // The end was applied: the same report again is acknowledged, a later one refused.
        #expect(try await worker.report(lease, 2, end: .completed(outputs: [:])) == 2)
        await #expect(throws: EngineError.self) { try await worker.report(lease, 3, updates: [step]) }
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed && finished.jobs[1].steps.count == 1)
    }

    @Test("a worker never holds more leases than its slots; an ended lease frees its slot for the next waiting attempt")
    func slotsBoundAssignments() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1", slots: 2)
        var ids: [String] = []
        for _ in 0..<5 {
            ids.append(try await engine.start(WorkflowRequest(type: "MIXED")).value.id)
        }
        try await worker.connect()
        var assignments = try await worker.awaitAssignments(2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(worker.assignments.count == 2)
        #expect(await engine.workers().first?.leases.count == 2)
        var completed = 0
        while completed < 5 {
            let next = assignments[completed]
            try await worker.report(next.lease, 1, end: .completed(outputs: [:]))
            completed += 1
            if completed < 4 {
                assignments = try await worker.awaitAssignments(completed + 2)
            }
            let held = await engine.workers().first?.leases.count ?? -1
            #expect(held <= 2, "the worker holds \(held) leases with 2 slots")
        }
        for id in ids {
            #expect(try await EngineTesting.waitUntil(id, in: engine) { $0.status != .running }.status == .completed)
        }
        #expect(worker.assignments.count == 5)
        #expect(await engine.workers().first?.leases.isEmpty == true)
    }

    @Test("a lease whose worker stops heartbeating expires: the attempt fails with TIMEOUT and runs again on another worker; the first worker's late report is refused and its job cancelled when it comes back")
    func expiredLeaseRunsElsewhere() async throws {
        // A timeout of 5 s: the second worker's lease must outlive its heartbeats being starved
        // on a loaded machine, which once held them for over 2 s (the timeout then), so the
        // retry's lease expired too and its end was refused.
        let remote = RemoteJob(queue: "q", heartbeatTimeout: .seconds(5))
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(remote: remote, retryPolicy: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1)))])
        let first = TestWorker(engine, instance: "w-1")
        try await first.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await first.awaitAssignments(1).first?.lease)
        try await first.report(lease, 1, updates: [.step(message: "before the cut", level: .info, entity: nil, timestampMs: 0)])
        await first.disconnect()
        let second = TestWorker(engine, instance: "w-2")
        try await second.connect()
        let retry = try #require(try await second.awaitAssignments(1, timeout: .seconds(30)).first)
        #expect(retry.lease.attempt == 2 && retry.lease.epoch > lease.epoch)

        // The first worker comes back still running its job: the lease is gone.
        try await first.connect(holding: [lease])
        #expect(first.cancellations.map(\.lease) == [lease] && first.cancellations.first?.leaseEnded == true)
        do {
            try await first.report(lease, 2, end: .completed(outputs: [:]))
            Issue.record("a report under an expired lease was applied")
        } catch {
            #expect(error.code == .failedPrecondition)
        }
        try await second.report(retry.lease, 1, end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed)
        let failed = try #require(finished.jobs[1].failedAttempts.first)
        #expect(failed.outcome == .timedOut && failed.errorCode == "TIMEOUT" && failed.worker?.instanceID == "w-1")
        #expect(failed.error.contains("sent no heartbeat"))
        #expect(finished.jobs[1].worker?.instanceID == "w-2")
        #expect(finished.jobs[1].steps.map(\.attempt) == [1])
    }

    @Test("a worker whose lease expired while its stream stayed open (a dead process behind a live connection) gets no assignment until it is heard from again")
    func silentWorkerIsSkipped() async throws {
        let remote = RemoteJob(queue: "q", heartbeatTimeout: .seconds(2))
        // A long heartbeat interval: only the expired lease, never the silence, may hold it back.
        let engine = EngineTesting.makeEngine(
            [Self.mixedTemplate(remote: remote, retryPolicy: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1)))],
            workerHeartbeatInterval: .seconds(60)
        )
        let silent = TestWorker(engine, instance: "silent", silent: true)
        try await silent.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await silent.awaitAssignments(1).first?.lease)
        // The retry waits: the only worker is suspect now.
        _ = try await EngineTesting.waitUntil(started.id, in: engine) { $0.jobs[1].failedAttempts.count == 1 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(silent.assignments.count == 1)
        // Told at the expiry, and again when its heartbeat still lists the lease.
        #expect(silent.cancellations.map(\.lease) == [lease] && silent.cancellations.allSatisfy(\.leaseEnded))
        try await engine.heartbeat(sessionID: silent.sessionID, leases: [lease])
        #expect(silent.cancellations.map(\.lease) == [lease, lease])
        let retry = try #require(try await silent.awaitAssignments(2).last)
        #expect(retry.lease.attempt == 2)
        try await silent.report(retry.lease, 1, end: .completed(outputs: [:]))
        #expect(try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }.status == .completed)
    }

    @Test("heartbeats keep a lease alive past its timeout")
    func heartbeatsExtendLeases() async throws {
        // A timeout of 3 s: the worker heartbeats every 100 ms, and a loaded CI machine once
        // starved it for a whole second (the timeout was 1 s then).
        let remote = RemoteJob(queue: "q", heartbeatTimeout: .seconds(3))
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(remote: remote)])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        // Past the heartbeat timeout by a third of it.
        try await Task.sleep(for: .seconds(4))
        try await worker.report(lease, 1, end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed && finished.jobs[1].failedAttempts.isEmpty)
    }

    @Test("an attempt no worker takes within its schedule-to-start timeout fails with TIMEOUT")
    func scheduleToStartTimeout() async throws {
        let remote = RemoteJob(queue: "nobody", scheduleToStartTimeout: .milliseconds(100))
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(remote: remote)])
        let (finished, events) = try await EngineTesting.run(WorkflowRequest(type: "MIXED"), on: engine)
        #expect(finished.status == .failed && finished.failedJobName == "Process")
        #expect(finished.jobs[1].failedAttempts.first?.errorCode == "TIMEOUT")
        #expect(finished.error?.contains("no worker took attempt 1 of Process from queue nobody") == true)
        #expect(finished.jobs[2].status == .cancelled && events.of(.jobAssigned).isEmpty)
    }

    @Test("a failure the worker reports fails the workflow fast with its error and stack; do-not-retry is never retried")
    func reportedFailure() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(retryPolicy: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1)))])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        try await worker.report(lease, 1, end: .failed(error: "bad row 7", stack: "worker.py:12", code: JobErrorCode("VALIDATION"), doNotRetry: true))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .failed && finished.error == "bad row 7" && finished.jobs[1].stack == "worker.py:12")
        #expect(finished.jobs[1].attempt == 1 && finished.jobs[2].status == .cancelled)
        #expect(finished.jobs[1].failedAttempts.first?.errorCode == "VALIDATION")
    }

    @Test("cancel reaches the worker, whose end report ends the workflow CANCELLED; an attempt still waiting for a worker is cancelled at once")
    func cancelReachesWorker() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let running = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        let waiting = try await engine.start(WorkflowRequest(type: "MIXED")).value
        _ = try await EngineTesting.waitUntil(waiting.id, in: engine) { $0.jobs[1].status == .running }

        _ = try await engine.cancel(id: running.id, reason: "pressed Cancel")
        try await worker.awaitCondition("a cancellation") { !$0.cancellations.isEmpty }
        #expect(worker.cancellations.first?.lease == lease && worker.cancellations.first?.leaseEnded == false)
        #expect(try await engine.workflow(id: running.id).status == .running)
        try await worker.report(lease, 1, updates: [.step(message: "stopped early", level: .warn, entity: nil, timestampMs: 0)], end: .completed(outputs: [:]))
        let cancelled = try await EngineTesting.waitUntil(running.id, in: engine) { $0.status != .running }
        #expect(cancelled.status == .cancelled && cancelled.jobs[1].status == .cancelled && cancelled.jobs[1].steps.count == 1)

        // The freed slot took the waiting attempt; cancel that workflow before its worker reports.
        let second = try #require(try await worker.awaitAssignments(2).last)
        #expect(second.lease.workflowID == waiting.id)
        let third = try await engine.start(WorkflowRequest(type: "MIXED")).value
        _ = try await EngineTesting.waitUntil(third.id, in: engine) { $0.jobs[1].status == .running }
        _ = try await engine.cancel(id: third.id)
        let stopped = try await EngineTesting.waitUntil(third.id, in: engine) { $0.status != .running }
        #expect(stopped.status == .cancelled && stopped.jobs[1].worker == nil)
    }

    @Test("a worker that hands an attempt back does not use it up: the job runs again on the next worker")
    func releasedAttempt() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let leaving = TestWorker(engine, instance: "w-1")
        try await leaving.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await leaving.awaitAssignments(1).first?.lease)
        await leaving.disconnect()
        let staying = TestWorker(engine, instance: "w-2")
        try await staying.connect()
        try await leaving.connect(holding: [lease])
        try await leaving.report(lease, 1, end: .released(reason: "worker stopping"))
        let next = try #require(try await staying.awaitAssignments(1).first)
        #expect(next.lease.attempt == 2)
        try await staying.report(next.lease, 1, end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed)
        #expect(finished.jobs[1].failedAttempts.map(\.outcome) == [.interrupted] && finished.jobs[1].uncountedAttempts == 1)
        #expect(finished.jobs[1].failedAttempts.first?.error == "released by worker test-worker (w-1): worker stopping")
    }

    @Test("a worker that releases an attempt, or says it is draining, gets no assignment on that connection again")
    func drainingWorkerGetsNothing() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let stopping = TestWorker(engine, instance: "w-1")
        try await stopping.connect()
        let first = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await stopping.awaitAssignments(1).first?.lease)
        let idle = TestWorker(engine, instance: "w-2")
        try await idle.connect()
        try await engine.heartbeat(sessionID: idle.sessionID, leases: [], draining: true)
        try await stopping.report(lease, 1, end: .released(reason: "stopping"))
        _ = try await engine.start(WorkflowRequest(type: "MIXED")).value
        try await Task.sleep(for: .milliseconds(100))
        #expect(stopping.assignments.count == 1 && idle.assignments.isEmpty)
        let next = TestWorker(engine, instance: "w-3", slots: 2)
        try await next.connect()
        let taken = try await next.awaitAssignments(2)
        #expect(taken.first { $0.lease.workflowID == first.id }?.lease.attempt == 2)
    }

    @Test("a worker instance that connects again replaces its old connection and keeps its leases")
    func reconnectKeepsLeases() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        try await worker.report(lease, 1, updates: [.step(message: "one", level: .info, entity: nil, timestampMs: 0)])
        // The old stream is not noticed as closed yet: the new hello replaces it.
        let welcome = try await worker.connect(holding: [lease])
        #expect(welcome.resumedLeases.map(\.lease) == [lease] && welcome.resumedLeases.first?.acceptedReports == 1)
        #expect(await engine.workers().count == 1)
        try await worker.report(lease, 1, updates: [.step(message: "one", level: .info, entity: nil, timestampMs: 0)])
        try await worker.report(lease, 2, updates: [.step(message: "two", level: .info, entity: nil, timestampMs: 0)], end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.jobs[1].steps.map(\.message) == ["one", "two"])
    }

    @Test("with a store, every report is acknowledged only once durable (counters alone become a STATS_UPDATED event); a repeat on an idle server is acknowledged at once; an empty report is refused")
    func acknowledgementsWaitForTheDisk() async throws {
        let store = ManualStore()
        var templates = TemplateRegistry.builtIn
        templates.register(Self.mixedTemplate())
        let engine = WorkflowEngine(templates: templates, store: store, logger: EngineTesting.logger)
        try await engine.restore()
        let committer = Task {
            while !Task.isCancelled {
                store.commitQueued()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        committer.cancel()
        _ = await committer.value
        store.commitQueued()

        let acknowledged = Box<[UInt64]>([])
        let withStep = try await engine.report(
            WorkerReport(lease: lease, sequence: 1, updates: [.step(message: "one", level: .info, entity: nil, timestampMs: 0)]),
            fromSession: worker.sessionID
        )
        withStep.whenDurable { acknowledged.update { $0.append(1) } }
        let countersOnly = try await engine.report(WorkerReport(lease: lease, sequence: 2, counters: ["n": 1]), fromSession: worker.sessionID)
        countersOnly.whenDurable { acknowledged.update { $0.append(2) } }
        #expect(acknowledged.current.isEmpty)
        #expect(try await engine.workflow(id: started.id).jobs[1].stats.counters == ["n": 1], "counters show while the job runs")
        store.commitQueued()
        #expect(acknowledged.current == [1, 2])
        #expect(store.committedEvents.last?.kind == .statsUpdated && store.committedEvents.last?.stats?.counters == ["n": 1])

        // Nothing else happens: a repeat is acknowledged at once, not after some later event.
        let repeated = try await engine.report(WorkerReport(lease: lease, sequence: 2, counters: ["n": 1]), fromSession: worker.sessionID)
        #expect(repeated.isDurable && repeated.value == 2)
        await #expect(throws: EngineError.self) {
            try await engine.report(WorkerReport(lease: lease, sequence: 3), fromSession: worker.sessionID)
        }

        let end = try await engine.report(WorkerReport(lease: lease, sequence: 3, end: .completed(outputs: [:])), fromSession: worker.sessionID)
        end.whenDurable { acknowledged.update { $0.append(3) } }
        #expect(acknowledged.current == [1, 2])
        store.commitQueued()
        #expect(acknowledged.current == [1, 2, 3])
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.jobs[1].stats.counters == ["n": 1])
    }

    @Test("an assignment is handed over only with the change it depends on: it is not durable until the store commits the attempt's events")
    func assignmentsWaitForTheirEpoch() async throws {
        let store = ManualStore()
        var templates = TemplateRegistry.builtIn
        templates.register(Self.mixedTemplate())
        // The test's worker does not heartbeat: a long interval keeps it eligible.
        let engine = WorkflowEngine(templates: templates, store: store, workerHeartbeatInterval: .seconds(60), logger: EngineTesting.logger)
        try await engine.restore()
        let handed = Box<[(WorkerDelivery, DurableResult<Void>)]>([])
        let registration = WorkerRegistration(worker: WorkerRef(name: "w", instanceID: "i"), queues: ["q"], slots: 1)
        let welcome = try await engine.connectWorker(registration) { delivery, durability in
            handed.update { $0.append((delivery, durability)) }
        }
        #expect(welcome.isDurable)
        _ = try await engine.start(WorkflowRequest(type: "MIXED"))
        let deadline = ContinuousClock.now + .seconds(30)
        while handed.current.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        let (delivery, durability) = try #require(handed.current.first)
        guard case .assignment(let assignment) = delivery else {
            Issue.record("expected an assignment, got \(delivery)")
            return
        }
        #expect(!durability.isDurable)
        store.commitQueued()
        #expect(durability.isDurable)
        #expect(store.committedEvents.contains { $0.sequence == assignment.lease.epoch && $0.kind == .jobStarted })
    }

    @Test("a worker that hands back an attempt that already timed out ends it as a timeout, counted, not as an interruption")
    func releaseAfterTimeoutCounts() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(timeout: .milliseconds(100), cancellationGrace: .seconds(30))])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        try await worker.awaitCondition("a cancellation for the timeout") { !$0.cancellations.isEmpty }
        #expect(worker.cancellations.first?.leaseEnded == false)
        try await worker.report(lease, 1, end: .released(reason: "stopping"))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .failed)
        #expect(finished.jobs[1].failedAttempts.map(\.outcome) == [.timedOut] && finished.jobs[1].uncountedAttempts == 0)
    }

    @Test("the end report of an attempt that failed, sent again once the next attempt runs, is acknowledged, not refused")
    func resentEndOfAnEarlierAttempt() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(retryPolicy: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1)))])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let first = try #require(try await worker.awaitAssignments(1).first?.lease)
        let failure = WorkerReport.End.failed(error: "flaky", stack: "", code: .error, doNotRetry: false)
        try await worker.report(first, 1, end: failure)
        let second = try #require(try await worker.awaitAssignments(2).last?.lease)
        #expect(second.attempt == 2)
        #expect(try await worker.report(first, 1, end: failure) == 1)
        try await worker.report(second, 1, end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed && finished.jobs[1].failedAttempts.count == 1)
        #expect(finished.jobs[1].failedAttempts.first?.lease == JobLease(epoch: first.epoch, acceptedReports: 1))
    }

    @Test("a worker that reconnects without a lease it held (an assignment lost with its connection) gets the job again at once, the lost attempt not counted")
    func lostAssignmentIsRequeued() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lost = try #require(try await worker.awaitAssignments(1).first?.lease)
        await worker.disconnect()
        try await worker.connect(holding: [])
        let again = try #require(try await worker.awaitAssignments(2).last?.lease)
        #expect(again.workflowID == lost.workflowID && again.attempt == 2)
        try await worker.report(again, 1, end: .completed(outputs: [:]))
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .completed)
        #expect(finished.jobs[1].failedAttempts.map(\.outcome) == [.interrupted] && finished.jobs[1].uncountedAttempts == 1)
    }

    @Test("a worker is told its lease ended only with the end itself: the notice is not durable before the events that record the end")
    func leaseEndNoticeWaitsForTheEnd() async throws {
        let store = ManualStore()
        var templates = TemplateRegistry.builtIn
        templates.register(Self.mixedTemplate(remote: RemoteJob(queue: "q", heartbeatTimeout: .milliseconds(300))))
        let engine = WorkflowEngine(templates: templates, store: store, workerHeartbeatInterval: .seconds(60), logger: EngineTesting.logger)
        try await engine.restore()
        let handed = Box<[(WorkerDelivery, DurableResult<Void>)]>([])
        let registration = WorkerRegistration(worker: WorkerRef(name: "w", instanceID: "i"), queues: ["q"], slots: 1)
        _ = try await engine.connectWorker(registration) { delivery, durability in
            handed.update { $0.append((delivery, durability)) }
        }
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let assignedBy = ContinuousClock.now + .seconds(30)
        while handed.current.isEmpty, ContinuousClock.now < assignedBy {
            try await Task.sleep(for: .milliseconds(2))
        }
        store.commitQueued()  // everything up to the assignment is durable now
        // No heartbeat: the lease expires and the workflow fails; the worker is told.
        _ = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        let notice = try #require(handed.current.first { delivery, _ in
            if case .cancellation(_, _, true) = delivery { true } else { false }
        })
        #expect(!notice.1.isDurable)
        store.commitQueued()
        #expect(notice.1.isDurable)
        let committed = store.committedEvents.filter { $0.workflowID == started.id }.map(\.kind)
        #expect(committed.contains(.jobFailed) && committed.last == .workflowFailed)
    }

    @Test("a worker that reconnects without a lease whose attempt already timed out gets it ended as the timeout, counted")
    func lostAfterTimeoutCounts() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate(timeout: .milliseconds(100), cancellationGrace: .seconds(30))])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        _ = try await worker.awaitAssignments(1)
        try await worker.awaitCondition("the timeout's cancellation") { !$0.cancellations.isEmpty }
        await worker.disconnect()
        try await worker.connect(holding: [])
        let finished = try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }
        #expect(finished.status == .failed)
        #expect(finished.jobs[1].failedAttempts.map(\.outcome) == [.timedOut] && finished.jobs[1].uncountedAttempts == 0)
    }

    @Test("a hello that lists a held lease twice gets it back once, and no cancellation for it")
    func heldLeaseListedTwice() async throws {
        let engine = EngineTesting.makeEngine([Self.mixedTemplate()])
        let worker = TestWorker(engine, instance: "w-1")
        try await worker.connect()
        let started = try await engine.start(WorkflowRequest(type: "MIXED")).value
        let lease = try #require(try await worker.awaitAssignments(1).first?.lease)
        await worker.disconnect()
        let welcome = try await worker.connect(holding: [lease, lease])
        #expect(welcome.resumedLeases.map(\.lease) == [lease])
        #expect(worker.cancellations.isEmpty)
        try await worker.report(lease, 1, end: .completed(outputs: [:]))
        #expect(try await EngineTesting.waitUntil(started.id, in: engine) { $0.status != .running }.status == .completed)
    }

    @Test("a registration without a name, instance or queue, or with slots out of range, is refused")
    func badRegistrations() async throws {
        let engine = EngineTesting.makeEngine()
        let good = WorkerRegistration(worker: WorkerRef(name: "w", instanceID: "i"), queues: ["q"], slots: 1)
        var cases: [(WorkerRegistration, String)] = []
        var noName = good
        noName.worker.name = ""
        cases.append((noName, "hello.name"))
        var noInstance = good
        noInstance.worker.instanceID = ""
        cases.append((noInstance, "hello.instance_id"))
        var noQueue = good
        noQueue.queues = []
        cases.append((noQueue, "hello.queues"))
        var emptyQueue = good
        emptyQueue.queues = ["q", ""]
        cases.append((emptyQueue, "hello.queues"))
        var noSlots = good
        noSlots.slots = 0
        cases.append((noSlots, "hello.slots"))
        var tooMany = good
        tooMany.slots = WorkflowEngine.maxWorkerSlots + 1
        cases.append((tooMany, "hello.slots"))
        for (registration, field) in cases {
            do {
                _ = try await engine.connectWorker(registration) { _, _ in }
                Issue.record("\(registration) was accepted")
            } catch {
                #expect(error.code == .invalidArgument && error.field == field)
            }
        }
        #expect(await engine.workers().isEmpty)
    }
}
