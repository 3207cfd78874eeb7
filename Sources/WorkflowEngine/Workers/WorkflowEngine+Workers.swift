import Logging
import WorkflowModel

extension WorkflowEngine {
    /// The most slots one worker may declare.
    public static let maxWorkerSlots = 10_000

    /// Registers a worker's connection: from now on the engine assigns it attempts of its
    /// queues' jobs, never more at once than its slots, through `deliver`.
    ///
    /// A worker instance that was connected already replaces its old connection (which holds
    /// no lease from then on). Each lease in ``WorkerRegistration/heldLeases`` that is still
    /// live and was this instance's is its again; every other one is cancelled at once through
    /// `deliver` (its reports would be refused). A live lease of this instance that the hello
    /// does not list (an assignment lost with the old connection) ends interrupted, not counted
    /// against its job's retry policy, and its job waits for a worker again.
    ///
    /// - Parameters:
    ///   - registration: Who the worker is and what it serves.
    ///   - deliver: Pushes a message to the worker; called on the engine, must not block. Send
    ///     each message only once its ``DurableResult`` is durable, and in the order of the
    ///     calls: then the worker never acts on a change a crash could erase.
    /// - Returns: The session id for the worker's later calls, the heartbeat interval and the
    ///   leases it got back; send it (first) once durable.
    /// - Throws: ``EngineError/Code/invalidArgument`` for an empty name, instance or queue,
    ///   no queue, or slots outside 1...``maxWorkerSlots``; ``EngineError/Code/shuttingDown``.
    public func connectWorker(
        _ registration: WorkerRegistration,
        deliver: @escaping @Sendable (WorkerDelivery, DurableResult<Void>) -> Void
    ) throws(EngineError) -> DurableResult<WorkerWelcome> {
        if isShuttingDown {
            throw EngineError(code: .shuttingDown, message: "the server is shutting down and assigns no more jobs")
        }
        try Self.validate(registration)
        let instance = registration.worker.instanceID
        if let previous = workerDispatch.sessionIDsByInstance[instance] {
            disconnectWorker(sessionID: previous)
        }
        workerDispatch.lastSessionID += 1
        let session = WorkerSession(id: workerDispatch.lastSessionID, registration: registration, nowMs: WallClock.nowMs(), deliver: deliver)
        workerDispatch.sessions[session.id] = session
        workerDispatch.sessionIDsByInstance[instance] = session.id
        for queue in Set(registration.queues) {
            workerDispatch.sessionIDsByQueue[queue, default: ([], 0)].ids.append(session.id)
        }
        var resumed: [ResumedLease] = []
        for token in registration.heldLeases {
            if liveLease(token)?.sessionID == session.id {
                continue  // listed twice: resumed already
            }
            // A lease comes back only to the instance that held it, and only if it still serves
            // the lease's queue (a worker may not keep a job of a queue it no longer may serve).
            guard let record = records[token.workflowID], let lease = liveLease(token),
                  lease.worker?.instanceID == instance, lease.sessionID == nil, registration.queues.contains(lease.remote.queue)
            else {
                send(.cancellation(token, reason: "\(token) is no longer live: its attempt ended or another worker holds it", leaseEnded: true), to: session)
                continue
            }
            record.updateLease { lease in
                bind(&lease, of: token.workflowID, to: session)
                lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: session.lastHeartbeatAtMs)
            }
            resumed.append(ResumedLease(lease: token, acceptedReports: lease.acceptedReports))
            if let attempt = record.attempt, attempt.isStopping {
                let reason = attempt.stopFailure?.failure.message ?? record.workflow.cancelReason ?? "the attempt was asked to stop"
                send(.cancellation(token, reason: reason, leaseEnded: false), to: session)
            }
        }
        requeueLeasesLost(by: registration)
        logger.info(
            "engine.worker_connected",
            metadata: [
                "worker.name": "\(registration.worker.name)", "worker.instance": "\(instance)",
                "worker.queues": "\(registration.queues.joined(separator: ","))", "worker.slots": "\(registration.slots)",
                "worker.resumed_leases": "\(resumed.count)",
            ]
        )
        // The welcome reports how far each resumed lease got: durable once all that is.
        let welcome = DurableResult(
            WorkerWelcome(sessionID: session.id, heartbeatInterval: workerHeartbeatInterval, resumedLeases: resumed),
            recordedAt: events.lastAppendedSequence, in: events
        )
        for queue in Set(registration.queues) {
            dispatch(queue: queue)
        }
        return welcome
    }

    /// A worker's connection closed: it gets no more assignments, and its leases live on unbound
    /// until it reconnects or their heartbeat timeout passes. Unknown ids are ignored.
    public func disconnectWorker(sessionID: UInt64) {
        guard let session = workerDispatch.sessions.removeValue(forKey: sessionID) else { return }
        let instance = session.registration.worker.instanceID
        if workerDispatch.sessionIDsByInstance[instance] == sessionID {
            workerDispatch.sessionIDsByInstance[instance] = nil
        }
        for queue in Set(session.registration.queues) {
            workerDispatch.sessionIDsByQueue[queue]?.ids.removeAll { $0 == sessionID }
            if workerDispatch.sessionIDsByQueue[queue]?.ids.isEmpty == true {
                workerDispatch.sessionIDsByQueue[queue] = nil
            } else if let serving = workerDispatch.sessionIDsByQueue[queue] {
                workerDispatch.sessionIDsByQueue[queue]?.cursor = serving.cursor % serving.ids.count
            }
        }
        for (epoch, workflowID) in session.leases {
            guard let record = records[workflowID], record.attempt?.epoch == epoch else { continue }
            record.updateLease { $0.sessionID = nil }
        }
        session.leases = [:]
        logger.info(
            "engine.worker_disconnected",
            metadata: ["worker.name": "\(session.registration.worker.name)", "worker.instance": "\(instance)"]
        )
    }

    /// A worker is alive and still runs `leases`: each one it holds lives another heartbeat
    /// timeout from now; one it does not hold is cancelled through its connection. A worker
    /// heartbeats while idle too: one not heard from for three heartbeat intervals gets no
    /// assignment. A `draining` worker (stopping) gets no assignment on this connection again.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` when `leases` lists more than
    ///   ``maxWorkerSlots`` leases.
    public func heartbeat(sessionID: UInt64, leases: [LeaseToken], draining: Bool = false) throws(EngineError) {
        guard leases.count <= Self.maxWorkerSlots else {
            throw .invalidArgument(field: "heartbeat.leases", reason: "lists \(leases.count) leases; a worker holds at most \(Self.maxWorkerSlots)")
        }
        guard let session = workerDispatch.sessions[sessionID] else { return }
        let now = WallClock.nowMs()
        session.heard(at: now)
        if draining {
            session.isDraining = true
        }
        for token in leases {
            guard let record = records[token.workflowID], let lease = liveLease(token), lease.sessionID == sessionID else {
                send(.cancellation(token, reason: "\(token) is no longer live: its attempt ended or another worker holds it", leaseEnded: true), to: session)
                continue
            }
            record.updateLease { $0.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: now) }
        }
        // Heard from again after a silence, it may take what waited meanwhile.
        if session.freeSlots > 0 {
            for queue in Set(session.registration.queues) {
                dispatch(queue: queue)
            }
        }
    }

    /// Applies one report of a worker: its steps and progress become events and part of the job,
    /// its counters the job's (a report of counters alone appends `statsUpdated`), and an end
    /// ends the attempt as a job function's return or throw would. A report the engine applied
    /// before (a resend after a reconnect, even of an attempt that ended) changes nothing and
    /// is acknowledged again.
    ///
    /// - Parameters:
    ///   - report: The report.
    ///   - sessionID: The reporting worker's connection.
    /// - Returns: The newest report of the lease the engine applied, durable once the result
    ///   is (acknowledge it to the worker then, not before).
    /// - Throws: ``EngineError/Code/workflowNotFound`` for an unknown workflow or job;
    ///   ``EngineError/Code/failedPrecondition`` when the lease is not live (its attempt
    ///   ended, timed out or was replaced) or another connection holds it;
    ///   ``EngineError/Code/outOfRange`` for a sequence after a gap;
    ///   ``EngineError/Code/invalidArgument`` for a malformed or empty report. Nothing is
    ///   applied then.
    public func report(_ report: WorkerReport, fromSession sessionID: UInt64) throws(EngineError) -> DurableResult<UInt64> {
        do throws(EngineError) {
            return try apply(report, fromSession: sessionID)
        } catch {
            logger.info(
                "engine.report_refused",
                metadata: [
                    "workflow.id": "\(report.lease.workflowID)", "job.id": "\(report.lease.jobID)",
                    "lease.epoch": "\(report.lease.epoch)", "report.sequence": "\(report.sequence)",
                    "error.code": "\(error.code)", "error.message": "\(error.message)",
                ]
            )
            throw error
        }
    }

    /// The connected workers, by name and instance; only those serving `queue` unless it is
    /// `nil`.
    public func workers(servingQueue queue: String? = nil) -> [WorkerStatus] {
        workerDispatch.sessions.values
            .filter { session in queue.map { session.registration.queues.contains($0) } ?? true }
            .map { session in
                WorkerStatus(
                    worker: session.registration.worker,
                    queues: session.registration.queues,
                    slots: session.registration.slots,
                    slotsInUse: session.leases.count,
                    leases: session.leases
                        .compactMap { epoch, workflowID in
                            records[workflowID]?.attempt.flatMap { $0.epoch == epoch ? $0.lease?.token : nil }
                        }
                        .sorted { $0.epoch < $1.epoch },
                    labels: session.registration.labels,
                    connectedAtMs: session.connectedAtMs,
                    lastHeartbeatAtMs: session.lastHeartbeatAtMs
                )
            }
            .sorted { ($0.worker.name, $0.worker.instanceID) < ($1.worker.name, $1.worker.instanceID) }
    }

    /// Hands `delivery` to `session`, to be sent once everything appended so far is durable.
    func send(_ delivery: WorkerDelivery, to session: WorkerSession) {
        session.deliver(delivery, DurableResult((), recordedAt: events.lastAppendedSequence, in: events))
    }

    // MARK: Reports

    /// ``report(_:fromSession:)`` without the log line of a refusal.
    private func apply(_ report: WorkerReport, fromSession sessionID: UInt64) throws(EngineError) -> DurableResult<UInt64> {
        let token = report.lease
        guard let session = workerDispatch.sessions[sessionID] else {
            throw .failedPrecondition("this worker connection was replaced by a newer one of the same instance")
        }
        let now = WallClock.nowMs()
        session.heard(at: now)
        guard report.sequence > 0 else {
            throw .invalidArgument(field: "sequence", reason: "must be 1 or more")
        }
        if let summary = records[token.workflowID], summary.treeInStore {
            // Ended a while ago: a report applied then is acknowledged again, nothing else is.
            guard let applied = summary.appliedReportsByLease[token.epoch], report.sequence <= applied else {
                throw .failedPrecondition("workflow \(token.workflowID) ended a while ago: no lease of it is live")
            }
            return DurableResult(applied, recordedAt: events.lastAppendedSequence, in: events)
        }
        let (record, position) = try job(of: token)
        if let applied = appliedBefore(report, at: position, of: record) {
            return DurableResult(applied, recordedAt: events.lastAppendedSequence, in: events)
        }
        let lease = try fence(report, at: position, of: record, session: sessionID)
        let pending = try Self.validatedUpdates(report.updates, nowMs: now)
        var outputs: [String: String] = [:]
        if case .completed(let completed) = report.end {
            try JobOutputLimits.check(completed)
            outputs = completed
        }
        guard !pending.isEmpty || !report.counters.isEmpty || report.end != nil else {
            throw .invalidArgument(field: "report", reason: "carries no update, no counter and no end")
        }
        var counters = lease.counters
        counters.merge(report.counters) { _, new in new }
        record.updateLease { lease in
            lease.acceptedReports = report.sequence
            lease.counters = counters
            lease.outputs = outputs
            lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: now)
        }
        record.workflow.jobs[position].lease?.acceptedReports = report.sequence
        record.workflow.jobs[position].stats.counters = counters
        if !pending.isEmpty {
            // The job's state (this report's sequence, its counters) in the same commit.
            apply(pending, position: position, of: record, persisting: true)
        } else if report.end == nil {
            appendStatsUpdated(at: position, of: record, nowMs: now)
        }
        // Otherwise the end's own events store the state again.
        if let end = report.end {
            self.end(record, with: end, by: session.registration.worker)
        }
        return DurableResult(report.sequence, recordedAt: events.lastAppendedSequence, in: events)
    }

    /// The workflow and position of the job `token` names.
    private func job(of token: LeaseToken) throws(EngineError) -> (WorkflowRecord, Int) {
        guard let record = records[token.workflowID] else {
            throw .workflowNotFound(token.workflowID)
        }
        guard !record.treeInStore else {
            throw .failedPrecondition("workflow \(token.workflowID) ended a while ago: no lease of it is live")
        }
        guard let position = record.jobRefs.firstIndex(where: { $0.id == token.jobID }) else {
            throw EngineError(code: .workflowNotFound, message: "workflow \(token.workflowID) has no job \"\(token.jobID)\"", field: "lease.job_id")
        }
        return (record, position)
    }

    /// The newest applied report of the lease `report` names, when `report` is one of those
    /// (of the job's current lease or of an earlier attempt's).
    private func appliedBefore(_ report: WorkerReport, at position: Int, of record: WorkflowRecord) -> UInt64? {
        let job = record.workflow.jobs[position]
        let epoch = report.lease.epoch
        // The current lease first: no allocation on the path every report takes.
        let lease = job.lease?.epoch == epoch ? job.lease : job.failedAttempts.last { $0.lease?.epoch == epoch }?.lease
        guard let lease, report.sequence <= lease.acceptedReports else { return nil }
        return lease.acceptedReports
    }

    /// The live lease `report` may be applied under, or why not.
    private func fence(_ report: WorkerReport, at position: Int, of record: WorkflowRecord, session sessionID: UInt64) throws(EngineError) -> RemoteLease {
        let token = report.lease
        guard position == record.position, let attempt = record.attempt, attempt.epoch == token.epoch,
              let lease = attempt.lease, lease.token == token
        else {
            throw .failedPrecondition("\(token) of workflow \(token.workflowID) is no longer live: its attempt ended (finished, timed out, cancelled or replaced)")
        }
        guard lease.sessionID == sessionID else {
            throw .failedPrecondition("\(token) is held by another connection")
        }
        guard report.sequence == lease.acceptedReports + 1 else {
            throw EngineError(
                code: .outOfRange,
                message: "report \(report.sequence) of \(token) comes after a gap: the last one applied is \(lease.acceptedReports)",
                field: "sequence"
            )
        }
        return lease
    }

    /// Appends `statsUpdated` with the counters of the job at `position`, with the job's state
    /// in the same commit.
    private func appendStatsUpdated(at position: Int, of record: WorkflowRecord, nowMs: Int64) {
        let jobRef = record.jobRefs[position]
        let counters = record.workflow.jobs[position].stats.counters
        var updated = event(
            record, .statsUpdated, level: .debug,
            message: "Job \(jobRef.name) counters: \(counters.keys.sorted().map { "\($0)=\(counters[$0]!)" }.joined(separator: " "))",
            timestampMs: nowMs, job: jobRef
        )
        updated.stats = Stats(durationMs: max(0, nowMs - (record.workflow.jobs[position].startedAtMs ?? nowMs)), counters: counters)
        events.append(contentsOf: [updated], persisting: record.workflow, firstSequence: record.firstSequence)
    }

    /// Ends `record`'s remote attempt as its worker reported. A timeout the engine had already
    /// decided (the attempt was stopping) wins over what the worker says.
    private func end(_ record: WorkflowRecord, with end: WorkerReport.End, by worker: WorkerRef) {
        guard let attempt = record.attempt else { return }
        if let stop = attempt.stopFailure {
            attemptEnded(record, failure: stop.failure, outcome: stop.outcome, returned: true)
            return
        }
        switch end {
        case .completed:
            attemptEnded(record, failure: nil, outcome: .failed, returned: true)
        case let .failed(error, stack, code, doNotRetry):
            let failure = JobFailureDescription(
                message: error.isEmpty ? "the worker reported a failure without a message" : error,
                code: code, stack: stack, isRetryable: !doNotRetry
            )
            attemptEnded(record, failure: failure, outcome: .failed, returned: true)
        case let .released(reason):
            // A worker releases only when it stops: handing it the next attempt would loop.
            if let sessionID = attempt.lease?.sessionID {
                workerDispatch.sessions[sessionID]?.isDraining = true
            }
            release(record, by: worker, reason: reason)
        }
    }

    /// The worker that held `record`'s attempt handed it back unfinished: the attempt ends
    /// interrupted (not counted against the retry policy) and the job waits for a worker again.
    private func release(_ record: WorkflowRecord, by worker: WorkerRef, reason: String) {
        guard record.attempt != nil else { return }
        if record.workflow.cancelReason != nil {
            attemptEnded(record, failure: nil, outcome: .failed, returned: true)
            return
        }
        let job = record.workflow.jobs[record.position]
        let failure = JobFailureDescription.interruption(
            "released by worker \(worker): \(reason.isEmpty ? "the worker stopped" : reason)",
            stack: "WorkerService: the worker handed attempt \(job.attempt) back"
        )
        interruptAttempt(of: record, failure: failure, then: .startsNow, returned: true)
        startAttempt(of: record)
    }

    /// Ends, interrupted and uncounted, every live lease of `registration`'s instance that its
    /// hello does not list (the worker never got the assignment, or lost it with its old
    /// connection), and queues its job again.
    private func requeueLeasesLost(by registration: WorkerRegistration) {
        let held = Set(registration.heldLeases.map(\.epoch))
        let lost = workerDispatch.liveLeases.compactMap { epoch, workflowID -> WorkflowRecord? in
            guard !held.contains(epoch), let record = records[workflowID], let attempt = record.attempt, attempt.epoch == epoch,
                  let lease = attempt.lease, lease.sessionID == nil, lease.worker?.instanceID == registration.worker.instanceID
            else { return nil }
            return record
        }
        for record in lost {
            if let stop = record.attempt?.stopFailure {
                // Already timed out: that decides the attempt, lost or not.
                attemptEnded(record, failure: stop.failure, outcome: stop.outcome, returned: true)
                continue
            }
            let job = record.workflow.jobs[record.position]
            let failure = JobFailureDescription.interruption(
                "lost by worker \(registration.worker): it reconnected without attempt \(job.attempt)",
                stack: "WorkerService: the worker's hello did not list its lease"
            )
            interruptAttempt(of: record, failure: failure, then: .startsNow, returned: true)
            startAttempt(of: record)
        }
    }

    /// The live lease `token` names, if it is the current attempt's.
    private func liveLease(_ token: LeaseToken) -> RemoteLease? {
        guard let attempt = records[token.workflowID]?.attempt, attempt.epoch == token.epoch,
              let lease = attempt.lease, lease.token == token
        else { return nil }
        return lease
    }

    private static func validate(_ registration: WorkerRegistration) throws(EngineError) {
        if registration.worker.name.isEmpty {
            throw .invalidArgument(field: "hello.name", reason: "must not be empty")
        }
        if registration.worker.instanceID.isEmpty {
            throw .invalidArgument(field: "hello.instance_id", reason: "must not be empty: give each worker process a unique id")
        }
        if registration.queues.isEmpty {
            throw .invalidArgument(field: "hello.queues", reason: "must name at least one queue")
        }
        if registration.queues.contains(where: \.isEmpty) {
            throw .invalidArgument(field: "hello.queues", reason: "must not contain an empty name")
        }
        if !(1...maxWorkerSlots).contains(registration.slots) {
            throw .invalidArgument(field: "hello.slots", reason: "must be from 1 to \(maxWorkerSlots), got \(registration.slots)")
        }
        if registration.heldLeases.count > maxWorkerSlots {
            throw .invalidArgument(field: "hello.held_leases", reason: "lists \(registration.heldLeases.count) leases; a worker holds at most \(maxWorkerSlots)")
        }
    }

    /// A report's updates as the engine records them, or the reason the report is refused.
    private static func validatedUpdates(_ updates: [WorkerReport.Update], nowMs: Int64) throws(EngineError) -> [PendingJobUpdate] {
        var pending: [PendingJobUpdate] = []
        pending.reserveCapacity(updates.count)
        for (index, update) in updates.enumerated() {
            switch update {
            case let .step(message, level, entity, timestampMs):
                guard !message.isEmpty else {
                    throw .invalidArgument(field: "updates[\(index)].step.message", reason: "must not be empty")
                }
                pending.append(.step(message: message, level: level, entity: entity?.isEmpty == true ? nil : entity, timestampMs: timestampMs > 0 ? timestampMs : nowMs))
            case let .progress(value, message, timestampMs):
                guard value.isFinite, (0...1).contains(value) else {
                    throw .invalidArgument(field: "updates[\(index)].progress.progress", reason: "must be a number from 0 to 1, got \(value)")
                }
                pending.append(.progress(value, message: message, timestampMs: timestampMs > 0 ? timestampMs : nowMs))
            }
        }
        return pending
    }
}
