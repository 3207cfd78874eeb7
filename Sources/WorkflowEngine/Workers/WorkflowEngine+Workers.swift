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
    /// `deliver` (its reports would be refused).
    ///
    /// - Parameters:
    ///   - registration: Who the worker is and what it serves.
    ///   - deliver: Pushes a message to the worker; called on the engine, must not block.
    /// - Returns: The session id for the worker's later calls, the heartbeat interval and the
    ///   leases it got back.
    /// - Throws: ``EngineError/Code/invalidArgument`` for an empty name, instance or queue,
    ///   no queue, or slots outside 1...``maxWorkerSlots``; ``EngineError/Code/shuttingDown``.
    public func connectWorker(
        _ registration: WorkerRegistration,
        deliver: @escaping @Sendable (WorkerDelivery) -> Void
    ) throws(EngineError) -> WorkerWelcome {
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
        var resumed: [(lease: LeaseToken, acceptedReports: UInt64)] = []
        for token in registration.heldLeases {
            if var lease = liveLease(token), lease.worker?.instanceID == instance, lease.sessionID == nil,
               let record = records[token.workflowID], var attempt = record.attempt {
                bind(&lease, of: token.workflowID, to: session)
                lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: session.lastHeartbeatAtMs)
                attempt.lease = lease
                record.attempt = attempt
                resumed.append((token, lease.acceptedReports))
                if attempt.isStopping {
                    deliver(.cancellation(token, reason: attempt.stopFailure?.failure.message ?? record.workflow.cancelReason ?? "stop", leaseEnded: false))
                }
            } else {
                deliver(.cancellation(token, reason: "\(token) is no longer live: its attempt ended or another worker holds it", leaseEnded: true))
            }
        }
        logger.info(
            "engine.worker_connected",
            metadata: [
                "worker.name": "\(registration.worker.name)", "worker.instance": "\(instance)",
                "worker.queues": "\(registration.queues.joined(separator: ","))", "worker.slots": "\(registration.slots)",
                "worker.resumed_leases": "\(resumed.count)",
            ]
        )
        for queue in Set(registration.queues) {
            dispatch(queue: queue)
        }
        return WorkerWelcome(sessionID: session.id, heartbeatInterval: workerHeartbeatInterval, resumedLeases: resumed)
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
            guard let record = records[workflowID], var attempt = record.attempt, attempt.epoch == epoch,
                  var lease = attempt.lease
            else { continue }
            lease.sessionID = nil
            attempt.lease = lease
            record.attempt = attempt
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
    public func heartbeat(sessionID: UInt64, leases: [LeaseToken], draining: Bool = false) {
        guard let session = workerDispatch.sessions[sessionID] else { return }
        let now = WallClock.nowMs()
        session.heard(at: now)
        if draining {
            session.isDraining = true
        }
        for token in leases {
            guard var lease = liveLease(token), lease.sessionID == sessionID,
                  let record = records[token.workflowID], var attempt = record.attempt
            else {
                session.deliver(.cancellation(token, reason: "\(token) is no longer live: its attempt ended or another worker holds it", leaseEnded: true))
                continue
            }
            lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: now)
            attempt.lease = lease
            record.attempt = attempt
        }
        // Heard from again after a silence, it may take what waited meanwhile.
        if session.freeSlots > 0 {
            for queue in Set(session.registration.queues) {
                dispatch(queue: queue)
            }
        }
    }

    /// Applies one report of a worker: its steps and progress become events and part of the job,
    /// its counters replace the job's, and an end ends the attempt as a job function's return
    /// or throw would. A report the engine applied before (a resend after a reconnect) changes
    /// nothing and is acknowledged again.
    ///
    /// - Parameters:
    ///   - report: The report.
    ///   - sessionID: The reporting worker's connection.
    /// - Returns: The newest report of the lease the engine applied, durable once the result
    ///   is (acknowledge it to the worker then, not before). A report of counters alone is
    ///   durable with the next event the engine appends.
    /// - Throws: ``EngineError/Code/workflowNotFound`` for an unknown workflow or job;
    ///   ``EngineError/Code/failedPrecondition`` when the lease is not live (its attempt
    ///   ended, timed out or was replaced) or another connection holds it;
    ///   ``EngineError/Code/outOfRange`` for a sequence after a gap;
    ///   ``EngineError/Code/invalidArgument`` for a malformed report. Nothing is applied then.
    public func report(_ report: WorkerReport, fromSession sessionID: UInt64) throws(EngineError) -> DurableResult<UInt64> {
        let token = report.lease
        guard let session = workerDispatch.sessions[sessionID] else {
            throw .failedPrecondition("this worker connection was replaced by a newer one of the same instance")
        }
        let now = WallClock.nowMs()
        session.heard(at: now)
        guard let record = records[token.workflowID] else {
            throw .workflowNotFound(token.workflowID)
        }
        guard let position = record.jobRefs.firstIndex(where: { $0.id == token.jobID }) else {
            throw EngineError(code: .workflowNotFound, message: "workflow \(token.workflowID) has no job \"\(token.jobID)\"", field: "lease.job_id")
        }
        guard report.sequence > 0 else {
            throw .invalidArgument(field: "sequence", reason: "must be 1 or more")
        }
        if let stored = record.workflow.jobs[position].lease, stored.epoch == token.epoch, report.sequence <= stored.acceptedReports {
            // Applied before; it may have stored no event (only counters), so the repeat is
            // acknowledged once the next event, queued after that state, is committed.
            return DurableResult(stored.acceptedReports, recordedAt: store == nil ? events.lastAppendedSequence : events.nextSequence, in: events)
        }
        guard position == record.position, var attempt = record.attempt, attempt.epoch == token.epoch,
              var lease = attempt.lease, lease.token == token
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
        let pending = try Self.validatedUpdates(report.updates, nowMs: now)
        lease.acceptedReports = report.sequence
        lease.counters.merge(report.counters) { _, new in new }
        lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: now)
        attempt.lease = lease
        record.attempt = attempt
        record.workflow.jobs[position].lease?.acceptedReports = report.sequence
        // The end's own events store the state again (with this report's sequence), so a bare
        // end needs no snapshot of its own.
        if !pending.isEmpty || report.end == nil {
            apply(pending, position: position, of: record, persisting: true)
        }
        switch report.end {
        case nil:
            break
        case .completed:
            attemptEnded(record, failure: attempt.stopFailure?.failure, outcome: attempt.stopFailure?.outcome ?? .failed, returned: true)
        case let .failed(error, stack, code, doNotRetry):
            let failure = attempt.stopFailure ?? (
                JobFailureDescription(message: error.isEmpty ? "the worker reported a failure without a message" : error, code: code, stack: stack, isRetryable: !doNotRetry),
                .failed
            )
            attemptEnded(record, failure: failure.failure, outcome: failure.outcome, returned: true)
        case let .released(reason):
            // A worker releases only when it stops: handing it the next attempt would loop.
            session.isDraining = true
            release(record, by: session.registration.worker, reason: reason)
        }
        // A report without updates or an end stored only the job's state (its counters and
        // sequence), which no event of its own covers: it is durable once the next event,
        // queued after it, is committed (the worker keeps it until then, and resends it after
        // a reconnect, harmlessly).
        let coveringEvent = pending.isEmpty && report.end == nil && store != nil ? events.nextSequence : events.lastAppendedSequence
        return DurableResult(report.sequence, recordedAt: coveringEvent, in: events)
    }

    /// The connected workers, by name and instance; only those serving `queue` unless it is
    /// `nil`.
    public func workers(servingQueue queue: String? = nil) -> [WorkerStatus] {
        workerDispatch.sessions.values
            .filter { queue == nil || $0.registration.queues.contains(queue!) }
            .map { session in
                WorkerStatus(
                    worker: session.registration.worker,
                    queues: session.registration.queues,
                    slots: session.registration.slots,
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

    /// The worker that held `record`'s attempt handed it back unfinished: the attempt ends
    /// interrupted (not counted against the retry policy) and the job waits for a worker again.
    private func release(_ record: WorkflowRecord, by worker: WorkerRef, reason: String) {
        guard record.attempt != nil else { return }
        if record.workflow.cancelReason != nil {
            attemptEnded(record, failure: nil, outcome: .failed, returned: true)
            return
        }
        let job = record.workflow.jobs[record.position]
        let failure = JobFailureDescription(
            message: "released by worker \(worker): \(reason.isEmpty ? "the worker stopped" : reason)",
            code: .interrupted,
            stack: "WorkerService: the worker handed attempt \(job.attempt) back",
            isRetryable: true
        )
        interruptAttempt(of: record, failure: failure, then: .startsNow, returned: true)
        startAttempt(of: record)
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
