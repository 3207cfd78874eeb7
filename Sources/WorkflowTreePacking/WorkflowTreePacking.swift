internal import CWorkflowProtos
@_spi(MessageRuntime) internal import MessageRuntime
import WorkflowModel

/// Packs a workflow tree into its `workflow.v1.Workflow` encoding with protoc-c, filling the C
/// structs straight from the domain model; and a log event into its `workflow.v1.LogEvent`
/// (`WorkflowTreePacking+LogEvent.swift`).
///
/// The general path builds the `WorkflowV1` message values first (`WorkflowService`'s wire
/// conversions) and fills the C structs from them. For a GetWorkflow that misses the encoding
/// cache, building and destroying those values was a fifth of the server's samples: a copy of
/// every job, a retain and a release of every string, an array per job. This path reads each
/// field where it lies and copies it once, into protoc-c's arena: 1.25 µs (7 %) less CPU per
/// call (`BENCHMARKS.md`, "Distinct GetWorkflow: the load generator, and trees packed from the
/// model").
///
/// The bytes are the general path's: `WorkflowTreePackingTests` packs a tree with every field
/// set both ways and compares them, and fails for a field added to `workflow.proto` until the
/// fixture sets it. A new mapping of a model value onto an existing field is covered only as far
/// as the fixture exercises it: change both paths together.
package enum WorkflowTreePacking {
    /// `workflow` encoded as a `workflow.v1.Workflow`, `as_of_sequence` left at 0.
    ///
    /// - Parameters:
    ///   - workflow: The tree to encode.
    ///   - includingSteps: Whether jobs carry their steps; without them (summaries) each job
    ///     still carries its step count.
    /// - Returns: The protobuf encoding.
    package static func bytes(of workflow: borrowing Workflow, includingSteps: Bool) -> [UInt8] {
        PackArena.with { arena in
            let message = arena.allocate(Workflow__V1__Workflow.self)
            workflow__v1__workflow__init(message)
            fill(message, from: workflow, includingSteps: includingSteps, arena: &arena)
            let size = workflow__v1__workflow__get_packed_size(message)
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                // `*__pack` writes exactly the size `*__get_packed_size` gave for the same tree.
                let written = workflow__v1__workflow__pack(message, buffer.baseAddress!)
                precondition(written == size, "protoc-c packed \(written) bytes of workflow.v1.Workflow, expected \(size)")
                initialized = size
            }
        }
    }

    /// A tree's encoding followed by the encoding of a `workflow.v1.Workflow` holding only
    /// `as_of_sequence`: two encodings of a message, one after the other, decode as their
    /// merge, so a cached tree answers each read with the sequence it was read at.
    ///
    /// - Parameters:
    ///   - tree: What ``bytes(of:includingSteps:)`` returned.
    ///   - asOfSequence: The read's `as_of_sequence`.
    /// - Returns: The answer's bytes, in one allocation.
    package static func answer(tree: [UInt8], asOfSequence: UInt64) -> [UInt8] {
        var sequence = Workflow__V1__Workflow()
        workflow__v1__workflow__init(&sequence)
        sequence.as_of_sequence = asOfSequence
        let size = workflow__v1__workflow__get_packed_size(&sequence)
        return [UInt8](unsafeUninitializedCapacity: tree.count + size) { buffer, initialized in
            _ = buffer.initialize(fromContentsOf: tree)
            let written = workflow__v1__workflow__pack(&sequence, buffer.baseAddress! + tree.count)
            precondition(written == size, "protoc-c packed \(written) bytes of workflow.v1.Workflow, expected \(size)")
            initialized = tree.count + size
        }
    }

    private static func fill(
        _ c: UnsafeMutablePointer<Workflow__V1__Workflow>,
        from workflow: borrowing Workflow,
        includingSteps: Bool,
        arena: inout PackArena
    ) {
        setText(&c.pointee.id, workflow.id, arena: &arena)
        setText(&c.pointee.type, workflow.type, arena: &arena)
        setText(&c.pointee.summary, workflow.summary, arena: &arena)
        c.pointee.status = cStatus(workflow.status)
        c.pointee.created_at_ms = workflow.createdAtMs
        c.pointee.started_at_ms = workflow.startedAtMs
        c.pointee.finished_at_ms = workflow.finishedAtMs ?? 0
        setText(&c.pointee.user_id, workflow.userID, arena: &arena)
        setText(&c.pointee.user_name, workflow.userName, arena: &arena)
        c.pointee.n_params = workflow.params.count
        c.pointee.params = textMap(
            workflow.params, initialize: workflow__v1__workflow__params_entry__init, arena: &arena
        )
        c.pointee.n_jobs = workflow.jobs.count
        c.pointee.jobs = workflow.jobs.withUnsafeBufferPointer { jobs in
            messages(of: jobs, arena: &arena, initialize: workflow__v1__job__init) { c, job, arena in
                fill(c, from: job, includingSteps: includingSteps, arena: &arena)
            }
        }
        c.pointee.stats = stats(workflow.stats, arena: &arena)
        setText(&c.pointee.error, workflow.error, arena: &arena)
        setText(&c.pointee.failed_job_id, workflow.failedJobID, arena: &arena)
        setText(&c.pointee.failed_job_name, workflow.failedJobName, arena: &arena)
        setText(&c.pointee.request_id, workflow.requestID, arena: &arena)
        c.pointee.attempt = Int32(clamping: workflow.attempt)
        c.pointee.deadline_at_ms = workflow.deadlineAtMs ?? 0
        c.pointee.n_result = workflow.result.count
        c.pointee.result = textMap(
            workflow.result, initialize: workflow__v1__workflow__result_entry__init, arena: &arena
        )
        c.pointee.n_artifacts = workflow.artifacts.count
        c.pointee.artifacts = workflow.artifacts.withUnsafeBufferPointer { artifacts in
            messages(of: artifacts, arena: &arena, initialize: workflow__v1__artifact__init) { c, artifact, arena in
                setText(&c.pointee.id, artifact.pointee.id, arena: &arena)
                setText(&c.pointee.name, artifact.pointee.name, arena: &arena)
                setText(&c.pointee.content_type, artifact.pointee.contentType, arena: &arena)
                c.pointee.size_bytes = artifact.pointee.sizeBytes
                setText(&c.pointee.sha256, artifact.pointee.sha256, arena: &arena)
                setText(&c.pointee.workflow_id, artifact.pointee.workflowID, arena: &arena)
                setText(&c.pointee.job_id, artifact.pointee.jobID, arena: &arena)
                c.pointee.created_at_ms = artifact.pointee.createdAtMs
            }
        }
        setText(&c.pointee.started_by, workflow.startedBy, arena: &arena)
        setText(&c.pointee.retried_by, workflow.retriedBy, arena: &arena)
        setText(&c.pointee.cancelled_by, workflow.cancelledBy, arena: &arena)
    }

    private static func fill(
        _ c: UnsafeMutablePointer<Workflow__V1__Job>,
        from job: UnsafePointer<Job>,
        includingSteps: Bool,
        arena: inout PackArena
    ) {
        setText(&c.pointee.id, job.pointee.id, arena: &arena)
        setText(&c.pointee.name, job.pointee.name, arena: &arena)
        c.pointee.position = Int32(clamping: job.pointee.position)
        c.pointee.status = cStatus(job.pointee.status)
        if includingSteps {
            c.pointee.n_steps = job.pointee.steps.count
            c.pointee.steps = job.pointee.steps.withUnsafeBufferPointer { steps in
                messages(of: steps, arena: &arena, initialize: workflow__v1__step__init) { c, step, arena in
                    fill(c, from: step, arena: &arena)
                }
            }
        }
        c.pointee.progress = job.pointee.progress
        setText(&c.pointee.progress_message, job.pointee.progressMessage, arena: &arena)
        c.pointee.stats = stats(job.pointee.stats, arena: &arena)
        setText(&c.pointee.error, job.pointee.error, arena: &arena)
        setText(&c.pointee.stack, job.pointee.stack, arena: &arena)
        c.pointee.started_at_ms = job.pointee.startedAtMs ?? 0
        c.pointee.finished_at_ms = job.pointee.finishedAtMs ?? 0
        c.pointee.step_count = Int32(clamping: job.pointee.stepCount)
        c.pointee.attempt = Int32(clamping: job.pointee.attempt)
        c.pointee.n_failed_attempts = job.pointee.failedAttempts.count
        c.pointee.failed_attempts = job.pointee.failedAttempts.withUnsafeBufferPointer { attempts in
            messages(of: attempts, arena: &arena, initialize: workflow__v1__job_attempt__init) { c, attempt, arena in
                c.pointee.attempt = Int32(clamping: attempt.pointee.number)
                c.pointee.outcome = cOutcome(attempt.pointee.outcome)
                c.pointee.started_at_ms = attempt.pointee.startedAtMs
                c.pointee.finished_at_ms = attempt.pointee.finishedAtMs
                setText(&c.pointee.error, attempt.pointee.error, arena: &arena)
                setText(&c.pointee.error_code, attempt.pointee.errorCode, arena: &arena)
                setText(&c.pointee.stack, attempt.pointee.stack, arena: &arena)
                c.pointee.worker = attempt.pointee.worker.map { worker(of: $0, arena: &arena) }
            }
        }
        c.pointee.next_attempt_at_ms = job.pointee.nextAttemptAtMs ?? 0
        c.pointee.worker = job.pointee.worker.map { worker(of: $0, arena: &arena) }
        setText(&c.pointee.queue, job.pointee.queue, arena: &arena)
        c.pointee.n_outputs = job.pointee.outputs.count
        c.pointee.outputs = textMap(
            job.pointee.outputs, initialize: workflow__v1__job__outputs_entry__init, arena: &arena
        )
    }

    static func fill(_ c: UnsafeMutablePointer<Workflow__V1__Step>, from step: UnsafePointer<Step>, arena: inout PackArena) {
        setText(&c.pointee.id, step.pointee.idParts, arena: &arena)
        setText(&c.pointee.message, step.pointee.message, arena: &arena)
        c.pointee.level = cLevel(step.pointee.level)
        if let entity = step.pointee.entity {
            let reference = arena.allocate(Workflow__V1__EntityRef.self)
            workflow__v1__entity_ref__init(reference)
            setText(&reference.pointee.tag, entity.tag, arena: &arena)
            setText(&reference.pointee.route, entity.route, arena: &arena)
            setText(&reference.pointee.id, entity.id, arena: &arena)
            setText(&reference.pointee.type, entity.type, arena: &arena)
            c.pointee.entity = reference
        }
        c.pointee.timestamp_ms = step.pointee.timestampMs
        c.pointee.sequence = step.pointee.sequence
        c.pointee.attempt = Int32(clamping: step.pointee.attempt)
    }

    /// Points a string field at a C copy of `text`; an absent or empty text leaves the field at
    /// protoc-c's shared empty string, which packs the same (nothing: every field of
    /// workflow.proto is proto3 without presence, skipped when its string is empty).
    static func setText(_ field: inout UnsafeMutablePointer<CChar>?, _ text: String?, arena: inout PackArena) {
        guard let text, !text.isEmpty else { return }
        field = arena.cString(text)
    }

    /// Points a string field at a C copy of a step's id, written from its parts without building
    /// it; an empty id leaves the field at protoc-c's shared empty string, as for a text.
    static func setText(_ field: inout UnsafeMutablePointer<CChar>?, _ id: StepID, arena: inout PackArena) {
        let count = id.utf8Count
        guard count > 0 else { return }
        field = arena.cString(utf8Count: count, id.copyUTF8(to:))
    }

    /// A `*Entry **` array for a `map<string, string>` field (NULL when empty), entries in key
    /// order as the generated code sorts them.
    static func textMap<Entry: TextMapEntry>(
        _ map: [String: String],
        initialize: (UnsafeMutablePointer<Entry>?) -> Void,
        arena: inout PackArena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        arena.mapEntries(map, initialize: { (entry: UnsafeMutablePointer<Entry>) in initialize(entry) }) { entry, key, value, arena in
            setText(&entry.pointee.key, key, arena: &arena)
            setText(&entry.pointee.value, value, arena: &arena)
        }
    }

    /// A present `Stats` message (a tree's always carries one; an event's when it has stats).
    static func stats(_ stats: Stats, arena: inout PackArena) -> UnsafeMutablePointer<Workflow__V1__Stats> {
        let c = arena.allocate(Workflow__V1__Stats.self)
        workflow__v1__stats__init(c)
        c.pointee.duration_ms = stats.durationMs
        c.pointee.n_counters = stats.counters.count
        c.pointee.counters = arena.mapEntries(
            stats.counters,
            initialize: { (entry: UnsafeMutablePointer<Workflow__V1__Stats__CountersEntry>) in
                workflow__v1__stats__counters_entry__init(entry)
            }
        ) { entry, key, value, arena in
            setText(&entry.pointee.key, key, arena: &arena)
            entry.pointee.value = value
        }
        return c
    }

    static func worker(of worker: WorkerRef, arena: inout PackArena) -> UnsafeMutablePointer<Workflow__V1__WorkerRef> {
        let c = arena.allocate(Workflow__V1__WorkerRef.self)
        workflow__v1__worker_ref__init(c)
        setText(&c.pointee.name, worker.name, arena: &arena)
        setText(&c.pointee.instance_id, worker.instanceID, arena: &arena)
        return c
    }

    /// A `T **` array for a repeated sub-message field (NULL when empty), each message
    /// initialized by `initialize` and filled by `fill` from the element's address: an element
    /// handed over by value is copied whole first, retaining every reference it holds.
    /// `elements` is borrowed from its array for the call.
    private static func messages<Element, CMessage>(
        of elements: UnsafeBufferPointer<Element>,
        arena: inout PackArena,
        initialize: (UnsafeMutablePointer<CMessage>?) -> Void,
        fill: (UnsafeMutablePointer<CMessage>, UnsafePointer<Element>, inout PackArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<CMessage>?>? {
        guard let base = elements.baseAddress, !elements.isEmpty else { return nil }
        let structs = arena.allocate(CMessage.self, count: elements.count)
        let pointers = arena.allocate(UnsafeMutablePointer<CMessage>?.self, count: elements.count)
        for index in elements.indices {
            initialize(structs + index)
            fill(structs + index, base + index, &arena)
            pointers[index] = structs + index
        }
        return pointers
    }

    static func cStatus(_ status: WorkflowStatus) -> Workflow__V1__WorkflowStatus {
        switch status {
        case .running: WORKFLOW__V1__WORKFLOW_STATUS__WORKFLOW_STATUS_RUNNING
        case .completed: WORKFLOW__V1__WORKFLOW_STATUS__WORKFLOW_STATUS_COMPLETED
        case .failed: WORKFLOW__V1__WORKFLOW_STATUS__WORKFLOW_STATUS_FAILED
        case .cancelled: WORKFLOW__V1__WORKFLOW_STATUS__WORKFLOW_STATUS_CANCELLED
        }
    }

    static func cStatus(_ status: JobStatus) -> Workflow__V1__JobStatus {
        switch status {
        case .pending: WORKFLOW__V1__JOB_STATUS__JOB_STATUS_PENDING
        case .running: WORKFLOW__V1__JOB_STATUS__JOB_STATUS_RUNNING
        case .completed: WORKFLOW__V1__JOB_STATUS__JOB_STATUS_COMPLETED
        case .failed: WORKFLOW__V1__JOB_STATUS__JOB_STATUS_FAILED
        case .cancelled: WORKFLOW__V1__JOB_STATUS__JOB_STATUS_CANCELLED
        }
    }

    static func cLevel(_ level: LogLevel) -> Workflow__V1__LogLevel {
        switch level {
        case .debug: WORKFLOW__V1__LOG_LEVEL__LOG_LEVEL_DEBUG
        case .info: WORKFLOW__V1__LOG_LEVEL__LOG_LEVEL_INFO
        case .warn: WORKFLOW__V1__LOG_LEVEL__LOG_LEVEL_WARN
        case .error: WORKFLOW__V1__LOG_LEVEL__LOG_LEVEL_ERROR
        }
    }

    private static func cOutcome(_ outcome: JobAttempt.Outcome) -> Workflow__V1__JobAttemptOutcome {
        switch outcome {
        case .failed: WORKFLOW__V1__JOB_ATTEMPT_OUTCOME__JOB_ATTEMPT_OUTCOME_FAILED
        case .timedOut: WORKFLOW__V1__JOB_ATTEMPT_OUTCOME__JOB_ATTEMPT_OUTCOME_TIMED_OUT
        case .interrupted: WORKFLOW__V1__JOB_ATTEMPT_OUTCOME__JOB_ATTEMPT_OUTCOME_INTERRUPTED
        }
    }
}

/// The entry of a `map<string, string>` field, as protoc-c declares each.
protocol TextMapEntry {
    var key: UnsafeMutablePointer<CChar>! { get set }
    var value: UnsafeMutablePointer<CChar>! { get set }
}

extension Workflow__V1__Workflow__ParamsEntry: TextMapEntry {}
extension Workflow__V1__Workflow__ResultEntry: TextMapEntry {}
extension Workflow__V1__Job__OutputsEntry: TextMapEntry {}
extension Workflow__V1__LogEvent__OutputsEntry: TextMapEntry {}
