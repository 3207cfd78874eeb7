import WorkflowEngine
import WorkflowModel

/// The binary encoding of the records the store writes: events, steps and workflow snapshots;
/// several times cheaper to write and read than JSON.
///
/// A field is never removed or reordered: a new one is appended, and a later schema migration
/// would rewrite old rows if ever needed. Enums are written as their ``StoreCoded/storeCode``,
/// never as the position of a case, so reordering cases in `WorkflowModel` changes nothing here.
enum RecordCodec {
    static func encode(_ event: LogEvent) -> [UInt8] {
        var writer = BinaryWriter(capacity: 96 + event.message.utf8.count)
        encode(event, into: &writer)
        return writer.bytes
    }

    /// Appends `event` to `writer`: a writer reused from event to event allocates nothing.
    static func encode(_ event: LogEvent, into writer: inout BinaryWriter) {
        writer.write(event.sequence)
        writer.write(event.timestampMs)
        writer.write(event.kind.storeCode)
        writer.write(event.level.storeCode)
        writer.write(event.message)
        writer.write(event.workflowID)
        writer.write(event.workflowType)
        writer.write(event.userID)
        writer.write(optional: event.job) { writer, job in
            writer.write(job.id)
            writer.write(job.name)
            writer.write(job.position)
        }
        writer.write(optional: event.step) { writer, step in write(step, to: &writer) }
        writer.write(optional: event.progress) { writer, progress in writer.write(progress) }
        writer.write(event.progressMessage)
        writer.write(optional: event.workflowStatus) { writer, status in writer.write(status.storeCode) }
        writer.write(optional: event.jobStatus) { writer, status in writer.write(status.storeCode) }
        writer.write(optional: event.stats) { writer, stats in write(stats, to: &writer) }
        writer.write(optional: event.error) { writer, error in writer.write(error) }
        writer.write(optional: event.stack) { writer, stack in writer.write(stack) }
        writer.write(optional: event.gap) { writer, gap in
            writer.write(gap.lowerBound)
            writer.write(gap.upperBound)
        }
        writer.write(event.attempt)
        // Appended fields; a record written before them ends here.
        writer.write(optional: event.retryAtMs) { writer, value in writer.write(value) }
        writer.write(optional: event.worker) { writer, worker in write(worker, to: &writer) }
        // Written only when set (most events have neither); the actor follows the outputs.
        if !event.outputs.isEmpty || !event.actor.isEmpty {
            write(event.outputs, to: &writer)
        }
        if !event.actor.isEmpty {
            writer.write(event.actor)
        }
    }

    static func decodeEvent(_ bytes: [UInt8]) throws -> LogEvent {
        try decodeEvent(bytes, in: 0..<bytes.count)
    }

    /// The event whose record `range` of `bytes` holds.
    static func decodeEvent(_ bytes: [UInt8], in range: Range<Int>) throws -> LogEvent {
        var reader = BinaryReader(bytes, in: range)
        let sequence = try reader.readUInt64()
        let timestampMs = try reader.readInt64()
        let kind = try reader.read(LogEventKind.self)
        let level = try reader.read(LogLevel.self)
        let message = try reader.readString()
        let workflowID = try reader.readString()
        let workflowType = try reader.readString()
        let userID = try reader.readString()
        let job = try reader.readOptional { reader in
            JobRef(id: try reader.readString(), name: try reader.readString(), position: try reader.readInt())
        }
        let step = try reader.readOptional { reader in try readStep(&reader, ofJob: job?.id) }
        let progress = try reader.readOptional { reader in try reader.readDouble() }
        let progressMessage = try reader.readString()
        let workflowStatus = try reader.readOptional { reader in try reader.read(WorkflowStatus.self) }
        let jobStatus = try reader.readOptional { reader in try reader.read(JobStatus.self) }
        let stats = try reader.readOptional { reader in try readStats(&reader) }
        let error = try reader.readOptional { reader in try reader.readString() }
        let stack = try reader.readOptional { reader in try reader.readString() }
        let gap = try reader.readOptional { reader in
            let lower = try reader.readUInt64()
            let upper = try reader.readUInt64()
            guard lower <= upper else { throw BinaryReader.Malformed() }
            return lower...upper
        }
        let attempt = try reader.readInt()
        // Fields appended to the layout later: a record that ends before them is an older one.
        let retryAtMs = reader.isAtEnd ? nil : try reader.readOptional { reader in try reader.readInt64() }
        let worker = reader.isAtEnd ? nil : try reader.readOptional { reader in try readWorker(&reader) }
        let outputs = reader.isAtEnd ? [:] : try readStrings(&reader)
        let actor = reader.isAtEnd ? "" : try reader.readString()
        // One initializer call: the event's boxes are made once, not once per field set.
        return LogEvent(
            sequence: sequence, timestampMs: timestampMs, kind: kind, level: level, message: message,
            workflowID: workflowID, workflowType: workflowType, userID: userID, job: job, step: step,
            progress: progress, progressMessage: progressMessage, workflowStatus: workflowStatus,
            jobStatus: jobStatus, stats: stats, error: error, stack: stack, gap: gap, attempt: attempt,
            retryAtMs: retryAtMs, worker: worker, outputs: outputs, actor: actor
        )
    }

    /// A workflow snapshot: everything but its jobs' steps, which each job counts instead
    /// (read back as its `storedStepCount`).
    static func encode(_ workflow: Workflow) -> [UInt8] {
        var writer = BinaryWriter(capacity: 256)
        writer.write(workflow.id)
        writer.write(workflow.type)
        writer.write(workflow.summary)
        writer.write(workflow.status.storeCode)
        writer.write(workflow.createdAtMs)
        writer.write(workflow.startedAtMs)
        writer.write(optional: workflow.finishedAtMs) { writer, value in writer.write(value) }
        writer.write(workflow.userID)
        writer.write(workflow.userName)
        write(workflow.params, to: &writer)
        writer.write(UInt64(workflow.jobs.count))
        workflow.jobs.forEachInPlace { job in
            writer.write(job.pointee.id)
            writer.write(job.pointee.name)
            writer.write(job.pointee.position)
            writer.write(job.pointee.status.storeCode)
            writer.write(job.pointee.progress)
            writer.write(job.pointee.progressMessage)
            write(job.pointee.stats, to: &writer)
            writer.write(optional: job.pointee.error) { writer, value in writer.write(value) }
            writer.write(optional: job.pointee.stack) { writer, value in writer.write(value) }
            writer.write(optional: job.pointee.startedAtMs) { writer, value in writer.write(value) }
            writer.write(optional: job.pointee.finishedAtMs) { writer, value in writer.write(value) }
            writer.write(job.pointee.attempt)
        }
        write(workflow.stats, to: &writer)
        writer.write(optional: workflow.error) { writer, value in writer.write(value) }
        writer.write(optional: workflow.failedJobID) { writer, value in writer.write(value) }
        writer.write(optional: workflow.failedJobName) { writer, value in writer.write(value) }
        writer.write(workflow.requestID)
        writer.write(workflow.attempt)
        // Appended fields; a record written before them ends here.
        writer.write(optional: workflow.deadlineAtMs) { writer, value in writer.write(value) }
        workflow.jobs.forEachInPlace { job in
            writer.write(job.pointee.firstCountedAttempt)
            writer.write(optional: job.pointee.attemptStartedAtMs) { writer, value in writer.write(value) }
            writer.write(optional: job.pointee.nextAttemptAtMs) { writer, value in writer.write(value) }
            writer.write(UInt64(job.pointee.failedAttempts.count))
            job.pointee.failedAttempts.forEachInPlace { attempt in
                writer.write(attempt.pointee.number)
                writer.write(attempt.pointee.outcome.storeCode)
                writer.write(attempt.pointee.startedAtMs)
                writer.write(attempt.pointee.finishedAtMs)
                writer.write(attempt.pointee.error)
                writer.write(attempt.pointee.errorCode)
                writer.write(attempt.pointee.stack)
            }
        }
        writer.write(optional: workflow.cancelReason) { writer, value in writer.write(value) }
        workflow.jobs.forEachInPlace { job in
            writer.write(job.pointee.uncountedAttempts)
        }
        workflow.jobs.forEachInPlace { job in
            writer.write(optional: job.pointee.queue) { writer, value in writer.write(value) }
            writer.write(optional: job.pointee.worker) { writer, worker in write(worker, to: &writer) }
            writer.write(optional: job.pointee.lease) { writer, lease in
                writer.write(lease.epoch)
                writer.write(lease.acceptedReports)
            }
            job.pointee.failedAttempts.forEachInPlace { attempt in
                writer.write(optional: attempt.pointee.worker) { writer, worker in write(worker, to: &writer) }
                writer.write(optional: attempt.pointee.lease) { writer, lease in
                    writer.write(lease.epoch)
                    writer.write(lease.acceptedReports)
                }
            }
        }
        workflow.jobs.forEachInPlace { job in
            write(job.pointee.outputs, to: &writer)
        }
        write(workflow.result, to: &writer)
        writer.write(UInt64(workflow.artifacts.count))
        workflow.artifacts.forEachInPlace { artifact in
            writer.write(artifact.pointee.name)
            writer.write(artifact.pointee.contentType)
            writer.write(artifact.pointee.sizeBytes)
            writer.write(artifact.pointee.sha256)
            writer.write(artifact.pointee.jobID)
            writer.write(artifact.pointee.createdAtMs)
        }
        // The steps themselves are stored from their events: in memory or not, each is counted.
        workflow.jobs.forEachInPlace { job in
            writer.write(UInt64(job.pointee.stepCount))
        }
        writer.write(workflow.startedBy)
        writer.write(workflow.retriedBy)
        writer.write(workflow.cancelledBy)
        return writer.bytes
    }

    /// A string map, sorted by key so equal maps encode equally.
    private static func write(_ strings: [String: String], to writer: inout BinaryWriter) {
        writer.write(UInt64(strings.count))
        forEachInKeyOrder(strings) { key, value in
            writer.write(key)
            writer.write(value)
        }
    }

    /// Calls `body` with `map`'s entries in key order, sorted in temporary storage (on the stack
    /// when small): `sorted(by:)` made an array for every map of every record written.
    private static func forEachInKeyOrder<Value>(_ map: [String: Value], _ body: (String, Value) -> Void) {
        guard map.count > 1 else {
            if let (key, value) = map.first {
                body(key, value)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: (key: String, value: Value).self, capacity: map.count) { entries in
            var entries = entries
            _ = entries.initialize(fromContentsOf: map)
            entries.sort { $0.key < $1.key }
            for entry in entries {
                body(entry.key, entry.value)
            }
            entries.deinitialize()
        }
    }

    private static func readStrings(_ reader: inout BinaryReader) throws -> [String: String] {
        let count = try reader.readUInt64()
        var strings: [String: String] = [:]
        for _ in 0..<count {
            let key = try reader.readString()
            strings[key] = try reader.readString()
        }
        return strings
    }

    /// A workflow snapshot; its jobs have no steps (they are stored on their own) and count
    /// them in `storedStepCount` (a field appended later: 0 in older snapshots).
    static func decodeWorkflow(_ bytes: [UInt8]) throws -> Workflow {
        var reader = BinaryReader(bytes)
        var workflow = Workflow(
            id: try reader.readString(), type: try reader.readString(), summary: try reader.readString(),
            status: try reader.read(WorkflowStatus.self),
            createdAtMs: try reader.readInt64(), startedAtMs: try reader.readInt64()
        )
        workflow.finishedAtMs = try reader.readOptional { reader in try reader.readInt64() }
        workflow.userID = try reader.readString()
        workflow.userName = try reader.readString()
        workflow.params = try readStrings(&reader)
        let jobCount = try reader.readUInt64()
        for _ in 0..<jobCount {
            var job = Job(id: try reader.readString(), name: try reader.readString(), position: try reader.readInt())
            job.status = try reader.read(JobStatus.self)
            job.progress = try reader.readDouble()
            job.progressMessage = try reader.readString()
            job.stats = try readStats(&reader)
            job.error = try reader.readOptional { reader in try reader.readString() }
            job.stack = try reader.readOptional { reader in try reader.readString() }
            job.startedAtMs = try reader.readOptional { reader in try reader.readInt64() }
            job.finishedAtMs = try reader.readOptional { reader in try reader.readInt64() }
            job.attempt = try reader.readInt()
            workflow.jobs.append(job)
        }
        workflow.stats = try readStats(&reader)
        workflow.error = try reader.readOptional { reader in try reader.readString() }
        workflow.failedJobID = try reader.readOptional { reader in try reader.readString() }
        workflow.failedJobName = try reader.readOptional { reader in try reader.readString() }
        workflow.requestID = try reader.readString()
        workflow.attempt = try reader.readInt()
        guard !reader.isAtEnd else {
            // Written before retry policies: every attempt after the first came from a retry of
            // the workflow, which gives a job its whole budget again.
            for index in workflow.jobs.indices {
                workflow.jobs[index].firstCountedAttempt = workflow.jobs[index].attempt
                workflow.jobs[index].attemptStartedAtMs = workflow.jobs[index].startedAtMs
            }
            return workflow
        }
        workflow.deadlineAtMs = try reader.readOptional { reader in try reader.readInt64() }
        for index in workflow.jobs.indices {
            workflow.jobs[index].firstCountedAttempt = try reader.readInt()
            workflow.jobs[index].attemptStartedAtMs = try reader.readOptional { reader in try reader.readInt64() }
            workflow.jobs[index].nextAttemptAtMs = try reader.readOptional { reader in try reader.readInt64() }
            let attemptCount = try reader.readUInt64()
            for _ in 0..<attemptCount {
                workflow.jobs[index].failedAttempts.append(
                    JobAttempt(
                        number: try reader.readInt(), outcome: try reader.read(JobAttempt.Outcome.self),
                        startedAtMs: try reader.readInt64(), finishedAtMs: try reader.readInt64(),
                        error: try reader.readString(), errorCode: try reader.readString(), stack: try reader.readString()
                    )
                )
            }
        }
        guard !reader.isAtEnd else { return workflow }
        workflow.cancelReason = try reader.readOptional { reader in try reader.readString() }
        for index in workflow.jobs.indices {
            workflow.jobs[index].uncountedAttempts = try reader.readInt()
        }
        guard !reader.isAtEnd else { return workflow }
        for index in workflow.jobs.indices {
            workflow.jobs[index].queue = try reader.readOptional { reader in try reader.readString() }
            workflow.jobs[index].worker = try reader.readOptional { reader in try readWorker(&reader) }
            workflow.jobs[index].lease = try reader.readOptional { reader in
                JobLease(epoch: try reader.readUInt64(), acceptedReports: try reader.readUInt64())
            }
            for attempt in workflow.jobs[index].failedAttempts.indices {
                workflow.jobs[index].failedAttempts[attempt].worker = try reader.readOptional { reader in try readWorker(&reader) }
                workflow.jobs[index].failedAttempts[attempt].lease = try reader.readOptional { reader in
                    JobLease(epoch: try reader.readUInt64(), acceptedReports: try reader.readUInt64())
                }
            }
        }
        guard !reader.isAtEnd else { return workflow }
        for index in workflow.jobs.indices {
            workflow.jobs[index].outputs = try readStrings(&reader)
        }
        workflow.result = try readStrings(&reader)
        let artifactCount = try reader.readUInt64()
        for _ in 0..<artifactCount {
            workflow.artifacts.append(
                Artifact(
                    name: try reader.readString(), contentType: try reader.readString(), sizeBytes: try reader.readInt64(),
                    sha256: try reader.readString(), workflowID: workflow.id, jobID: try reader.readString(),
                    createdAtMs: try reader.readInt64()
                )
            )
        }
        guard !reader.isAtEnd else { return workflow }
        for index in workflow.jobs.indices {
            workflow.jobs[index].storedStepCount = Int(clamping: try reader.readUInt64())
        }
        guard !reader.isAtEnd else { return workflow }
        workflow.startedBy = try reader.readString()
        workflow.retriedBy = try reader.readString()
        workflow.cancelledBy = try reader.readString()
        return workflow
    }

    private static func write(_ worker: WorkerRef, to writer: inout BinaryWriter) {
        writer.write(worker.name)
        writer.write(worker.instanceID)
    }

    private static func readWorker(_ reader: inout BinaryReader) throws -> WorkerRef {
        WorkerRef(name: try reader.readString(), instanceID: try reader.readString())
    }

    private static func write(_ stats: Stats, to writer: inout BinaryWriter) {
        writer.write(stats.durationMs)
        writer.write(UInt64(stats.counters.count))
        forEachInKeyOrder(stats.counters) { name, value in
            writer.write(name)
            writer.write(value)
        }
    }

    private static func readStats(_ reader: inout BinaryReader) throws -> Stats {
        var stats = Stats(durationMs: try reader.readInt64())
        let count = try reader.readUInt64()
        for _ in 0..<count {
            let name = try reader.readString()
            stats.counters[name] = try reader.readInt64()
        }
        return stats
    }

    static func encode(_ step: Step) -> [UInt8] {
        var writer = BinaryWriter(capacity: 64 + step.message.utf8.count)
        write(step, to: &writer)
        return writer.bytes
    }

    static func decodeStep(_ bytes: [UInt8]) throws -> Step {
        var reader = BinaryReader(bytes)
        return try readStep(&reader, ofJob: nil)
    }

    /// The step of the event whose record `range` of `bytes` holds, with its job's position,
    /// when it is a step of the workflow whose ID's UTF-8 is `workflowID` (else `nil`); read
    /// without decoding the rest of the event, nor anything of another workflow's. A step of
    /// the job at position `p` shares the string `jobIDs[p]` for its id when it can.
    ///
    /// - Throws: ``BinaryReader/Malformed`` when the record is malformed.
    static func storedStep(
        ofEvent bytes: [UInt8], in range: Range<Int>, ofWorkflow workflowID: [UInt8], jobIDs: [String]
    ) throws -> StoredStep? {
        var reader = BinaryReader(bytes, in: range)
        try skipToWorkflowID(&reader)
        guard try reader.readString(equals: workflowID), let position = try readStepJobPosition(&reader) else { return nil }
        let jobID = jobIDs.indices.contains(position) ? jobIDs[position] : nil
        return StoredStep(jobPosition: position, step: try readStep(&reader, ofJob: jobID))
    }

    /// The ID of the workflow whose step the record at `range` of `bytes` holds; `nil` when it
    /// holds no job or no step. The step is not decoded.
    ///
    /// - Throws: ``BinaryReader/Malformed`` when the record is malformed.
    static func workflowID(ofStepEvent bytes: [UInt8], in range: Range<Int>) throws -> String? {
        var reader = BinaryReader(bytes, in: range)
        try skipToWorkflowID(&reader)
        let workflowID = try reader.readString()
        return try readStepJobPosition(&reader) == nil ? nil : workflowID
    }

    /// Whether the event whose record `range` of `bytes` holds belongs to the workflow whose
    /// ID's UTF-8 is `workflowID`, read from the record's first fields (whose order never
    /// changes) without decoding it.
    ///
    /// - Throws: ``BinaryReader/Malformed`` when the record is malformed.
    static func isEvent(_ bytes: [UInt8], in range: Range<Int>, ofWorkflow workflowID: [UInt8]) throws -> Bool {
        var reader = BinaryReader(bytes, in: range)
        try skipToWorkflowID(&reader)
        return try reader.readString(equals: workflowID)
    }

    /// Moves `reader`, at the start of an event's record, past the fields before its
    /// workflow's ID: sequence, timestamp, kind, level and message.
    static func skipToWorkflowID(_ reader: inout BinaryReader) throws {
        _ = try reader.readUInt64()
        _ = try reader.readInt64()
        _ = try reader.readUInt64()
        _ = try reader.readUInt64()
        try reader.skipString()
    }

    /// Moves `reader`, just past an event's workflow ID, past its workflow's type and user and
    /// its job, up to its step.
    /// - Returns: The job's position when the event has a job and a step, else `nil`.
    private static func readStepJobPosition(_ reader: inout BinaryReader) throws -> Int? {
        try reader.skipString()
        try reader.skipString()
        guard try reader.readBool() else { return nil }
        try reader.skipString()
        try reader.skipString()
        let position = try reader.readInt()
        return try reader.readBool() ? position : nil
    }

    private static func write(_ step: Step, to writer: inout BinaryWriter) {
        let id = step.idParts
        writer.writeString(utf8Count: id.utf8Count, id.copyUTF8(to:))
        writer.write(step.message)
        writer.write(step.level.storeCode)
        writer.write(optional: step.entity) { writer, entity in
            writer.write(entity.tag)
            writer.write(entity.route)
            writer.write(entity.id)
            writer.write(entity.type)
        }
        writer.write(step.timestampMs)
        writer.write(step.sequence)
        writer.write(step.attempt)
    }

    /// A step; one whose id is `<jobID>-s<n>` shares `jobID`'s string, as the engine's steps do.
    private static func readStep(_ reader: inout BinaryReader, ofJob jobID: String?) throws -> Step {
        let id = try reader.readStringUTF8().withUnsafeBytes { StepID(utf8: $0, sharingPrefixWith: jobID) }
        let message = try reader.readString()
        let level = try reader.read(LogLevel.self)
        let entity = try reader.readOptional { reader in
            EntityReference(tag: try reader.readString(), route: try reader.readString(), id: try reader.readString(), type: try reader.readString())
        }
        return Step(
            id: id, message: message, level: level, entity: entity,
            timestampMs: try reader.readInt64(), sequence: try reader.readUInt64(), attempt: try reader.readInt()
        )
    }
}

extension Array {
    /// Calls `body` with a pointer to each element where it lies, for reading a few of its fields:
    /// an element passed by value (a `for` loop's, or a borrowed argument the compiler cannot
    /// prove unchanged across the calls that write it out) is copied whole first, and a copy of a
    /// job retains every reference it holds.
    fileprivate func forEachInPlace(_ body: (UnsafePointer<Element>) -> Void) {
        withUnsafeBufferPointer { elements in
            guard let first = elements.baseAddress else { return }
            for index in elements.indices {
                body(first + index)
            }
        }
    }
}
