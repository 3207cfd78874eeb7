import Logging
import WorkflowModel

extension WorkflowEngine {
    /// How often live leases are checked for expiry.
    static let leaseSweepInterval = Duration.milliseconds(100)

    /// Puts attempt `epoch` of `record`'s current job, a remote one, in its queue and assigns it
    /// if a worker has a free slot.
    func queueForWorker(_ record: WorkflowRecord, remote: RemoteJob, epoch: UInt64) {
        let position = record.position
        let job = record.workflow.jobs[position]
        let now = WallClock.nowMs()
        let lease = RemoteLease(
            token: LeaseToken(workflowID: record.workflow.id, jobID: job.id, attempt: job.attempt, epoch: epoch),
            remote: remote,
            acceptedReports: 0,
            expiresAtMs: remote.scheduleToStartTimeout.map { WallClock.milliseconds($0.clampedToLongestWait, after: now) } ?? .max
        )
        record.attempt = RunningAttempt(epoch: epoch, runner: .remote(lease))
        trackLease(epoch, of: record)
        workerDispatch.waiting[remote.queue, default: FIFOQueue()].push((record.workflow.id, epoch))
        dispatch(queue: remote.queue)
    }

    /// Brings back the attempt of a restored workflow's current job that a worker ran (or that
    /// waited for one) when the process stopped: its lease lives on, unbound, until the worker
    /// reconnects or the heartbeat timeout passes; one that waited goes back in its queue.
    ///
    /// - Returns: `false` when the job has no stored lease for its current attempt (it is then
    ///   treated like a local attempt cut off by the stop).
    func resumeRemoteAttempt(of record: WorkflowRecord) -> Bool {
        let position = record.position
        let job = record.workflow.jobs[position]
        guard case .remote(let remote) = record.definitions[position].work, let stored = job.lease else { return false }
        guard job.worker != nil else {
            // Never taken: it waits again, as when it was first queued.
            queueForWorker(record, remote: remote, epoch: stored.epoch)
            return true
        }
        let now = WallClock.nowMs()
        let lease = RemoteLease(
            token: LeaseToken(workflowID: record.workflow.id, jobID: job.id, attempt: job.attempt, epoch: stored.epoch),
            remote: remote,
            worker: job.worker,
            acceptedReports: stored.acceptedReports,
            counters: job.stats.counters,
            expiresAtMs: WallClock.milliseconds(remote.heartbeatTimeout, after: now)
        )
        var attempt = RunningAttempt(epoch: stored.epoch, runner: .remote(lease))
        let elapsed = Duration.milliseconds(max(0, now - (job.attemptStartedAtMs ?? now)))
        attempt.timer = timeoutTimer(of: record, epoch: stored.epoch, after: elapsed)
        record.attempt = attempt
        trackLease(stored.epoch, of: record)
        return true
    }

    /// Assigns the attempts waiting in `queue` to workers with free slots, oldest first, until
    /// either runs out. Nothing is assigned while the engine shuts down.
    func dispatch(queue: String) {
        guard !isShuttingDown else { return }
        let now = WallClock.nowMs()
        while let candidate = workerDispatch.waiting[queue]?.first {
            guard let record = records[candidate.workflowID],
                  let attempt = record.attempt, attempt.epoch == candidate.epoch,
                  let lease = attempt.lease, !lease.isAssigned, !attempt.isStopping, lease.expiresAtMs > now
            else {
                // Ended or assigned meanwhile, or past its schedule-to-start timeout (the sweep
                // fails it).
                _ = workerDispatch.waiting[queue]?.pop()
                continue
            }
            guard let session = sessionWithFreeSlot(serving: queue) else { return }
            _ = workerDispatch.waiting[queue]?.pop()
            assign(record, lease: lease, to: session)
        }
    }

    /// The next session serving `queue` that can take an assignment, round-robin; `nil` when
    /// none can.
    private func sessionWithFreeSlot(serving queue: String) -> WorkerSession? {
        guard let serving = workerDispatch.sessionIDsByQueue[queue], !serving.ids.isEmpty else { return nil }
        let now = WallClock.nowMs()
        let silence = WallClock.milliseconds(workerHeartbeatInterval * 3)
        let count = serving.ids.count
        for step in 0..<count {
            let index = (serving.cursor + step) % count
            if let session = workerDispatch.sessions[serving.ids[index]], session.canTakeAssignment(nowMs: now, silence: silence) {
                workerDispatch.sessionIDsByQueue[queue]?.cursor = (index + 1) % count
                return session
            }
        }
        return nil
    }

    /// Hands the waiting attempt of `record` to `session`: binds its lease, records the worker
    /// with `jobAssigned`, starts its start-to-close timeout, and pushes the assignment.
    private func assign(_ record: WorkflowRecord, lease: RemoteLease, to session: WorkerSession) {
        guard let epoch = record.attempt?.epoch else { return }
        let position = record.position
        let now = WallClock.nowMs()
        let worker = session.registration.worker
        record.updateLease { lease in
            lease.worker = worker
            lease.expiresAtMs = WallClock.milliseconds(lease.remote.heartbeatTimeout, after: now)
            bind(&lease, of: record.workflow.id, to: session)
        }
        record.attempt?.timer = timeoutTimer(of: record, epoch: epoch)
        record.workflow.jobs[position].worker = worker
        record.workflow.jobs[position].attemptStartedAtMs = now
        let jobRef = record.jobRefs[position]
        var assigned = event(
            record, .jobAssigned, level: .info,
            message: "Job \(jobRef.name) attempt \(lease.token.attempt) assigned to worker \(worker)",
            timestampMs: now, job: jobRef
        )
        assigned.worker = worker
        events.append(contentsOf: [assigned], persisting: record.workflow, firstSequence: record.firstSequence)
        let timeout = record.definitions[position].timeout
        // Sent once the attempt's jobStarted (its epoch) and jobAssigned are durable: a crash
        // before then cannot leave a worker running a lease the next process gives out again.
        send(
            .assignment(
                JobAssignment(
                    lease: lease.token, queue: lease.remote.queue, workflowType: record.workflow.type,
                    jobName: jobRef.name, jobPosition: position, params: record.workflow.params,
                    idempotencyKey: jobRef.id, heartbeatTimeout: lease.remote.heartbeatTimeout,
                    deadlineAtMs: timeout.map { WallClock.milliseconds($0.clampedToLongestWait, after: now) },
                    userID: record.workflow.userID,
                    inputs: record.inputs(before: position)
                )
            ),
            to: session
        )
        logger.debug(
            "engine.job_assigned",
            metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(jobRef.id)", "worker.instance": "\(worker.instanceID)"]
        )
    }

    /// Gives `lease` a slot of `session`; the one place (with ``unbind(_:of:)``) that changes
    /// which worker holds a lease.
    func bind(_ lease: inout RemoteLease, of workflowID: String, to session: WorkerSession) {
        lease.sessionID = session.id
        session.leases[lease.token.epoch] = workflowID
    }

    /// Frees the slot `lease` holds, if any, and returns the session that held it.
    @discardableResult
    func unbind(_ lease: inout RemoteLease, of workflowID: String) -> WorkerSession? {
        guard let sessionID = lease.sessionID else { return nil }
        lease.sessionID = nil
        guard let session = workerDispatch.sessions[sessionID] else { return nil }
        session.leases[lease.token.epoch] = nil
        return session
    }

    /// A remote attempt ended: its lease stops being live, its worker (when `reason` is given,
    /// and it holds the lease) is to be told so (by ``sendLeaseEndNotices()``, once the end is
    /// recorded), and the freed slot takes the next waiting attempt.
    func endLease(_ lease: RemoteLease, workerToldBy reason: String?) {
        var lease = lease
        workerDispatch.liveLeases[lease.token.epoch] = nil
        guard let session = unbind(&lease, of: lease.token.workflowID) else { return }
        if let reason {
            workerDispatch.leaseEndNotices.append((session.id, lease.token, reason))
        }
        for queue in session.registration.queues {
            dispatch(queue: queue)
        }
    }

    /// Tells the workers whose leases ended that they did; call after appending the events that
    /// record the ends, so no notice can reach a worker before its end is durable.
    func sendLeaseEndNotices() {
        guard !workerDispatch.leaseEndNotices.isEmpty else { return }
        let notices = workerDispatch.leaseEndNotices
        workerDispatch.leaseEndNotices = []
        for notice in notices {
            guard let session = workerDispatch.sessions[notice.sessionID] else { continue }
            send(.cancellation(notice.lease, reason: notice.reason, leaseEnded: true), to: session)
        }
    }

    /// Tells the worker running `attempt`, if one holds its lease, to stop; the engine then
    /// waits for its end report within the job's grace.
    func askWorkerToStop(_ attempt: RunningAttempt, reason: String) {
        guard let lease = attempt.lease, let sessionID = lease.sessionID,
              let session = workerDispatch.sessions[sessionID]
        else { return }
        send(.cancellation(lease.token, reason: reason, leaseEnded: false), to: session)
    }

    /// Adds a live lease to those the sweep checks, and starts the sweep if it is not running.
    private func trackLease(_ epoch: UInt64, of record: WorkflowRecord) {
        workerDispatch.liveLeases[epoch] = record.workflow.id
        guard workerDispatch.sweeper == nil else { return }
        workerDispatch.sweeper = Task {
            while !Task.isCancelled, !self.workerDispatch.liveLeases.isEmpty {
                try? await Task.sleep(for: Self.leaseSweepInterval)
                self.expireLeases()
            }
            self.workerDispatch.sweeper = nil
        }
    }

    /// Fails every attempt whose lease expired: its worker stopped heartbeating, or no worker
    /// took it within its schedule-to-start timeout.
    func expireLeases() {
        let now = WallClock.nowMs()
        var expired: [(WorkflowRecord, RemoteLease)] = []
        for (epoch, workflowID) in workerDispatch.liveLeases {
            guard let record = records[workflowID], let attempt = record.attempt, attempt.epoch == epoch,
                  let lease = attempt.lease
            else {
                workerDispatch.liveLeases[epoch] = nil
                continue
            }
            if lease.expiresAtMs <= now {
                expired.append((record, lease))
            }
        }
        for (record, expiredLease) in expired {
            // An earlier ending in this loop may have changed this attempt: look again.
            guard let attempt = record.attempt, attempt.epoch == expiredLease.token.epoch, let lease = attempt.lease,
                  lease.expiresAtMs <= now
            else { continue }
            let job = record.workflow.jobs[record.position]
            let failure: JobFailureDescription
            if let worker = lease.worker {
                let timeout = Self.humanReadable(lease.remote.heartbeatTimeout)
                failure = JobFailureDescription(
                    message: "the lease of attempt \(job.attempt) of \(job.name) expired: worker \(worker) sent no heartbeat for \(timeout)",
                    code: .timeout,
                    stack: "WorkflowEngine: heartbeat timeout of \(timeout) of job \(job.name) (queue \(lease.remote.queue))",
                    isRetryable: true
                )
            } else {
                let timeout = Self.humanReadable(lease.remote.scheduleToStartTimeout ?? .zero)
                failure = JobFailureDescription(
                    message: "no worker took attempt \(job.attempt) of \(job.name) from queue \(lease.remote.queue) within \(timeout)",
                    code: .timeout,
                    stack: "WorkflowEngine: schedule-to-start timeout of \(timeout) of job \(job.name)",
                    isRetryable: true
                )
            }
            if let sessionID = lease.sessionID {
                workerDispatch.sessions[sessionID]?.isSuspect = true
            }
            logger.warning(
                "engine.lease_expired",
                metadata: ["workflow.id": "\(record.workflow.id)", "job.id": "\(job.id)", "lease.epoch": "\(lease.token.epoch)"]
            )
            attemptEnded(record, failure: failure, outcome: .timedOut)
        }
    }
}
