internal import CWorkflowProtos
@_spi(MessageRuntime) internal import MessageRuntime
import WorkflowModel

extension WorkflowTreePacking {
    /// Appends `event`'s `workflow.v1.LogEvent` encoding to `bytes`, packed by protoc-c from the
    /// model: what WatchLogs sends, without building `WorkflowV1` values first (a retain and a
    /// release of every string, and a step's id built as a string of its own). The step is still
    /// copied out of the event (its getter sets its sequence), its strings retained, not copied.
    ///
    /// The bytes are `WireConversions`' general path's: `LogEventPackingTests` packs events with
    /// every field set both ways and compares them.
    ///
    /// - Parameters:
    ///   - event: The event to encode.
    ///   - bytes: Where the encoding goes, after what is there.
    package static func append(_ event: LogEvent, to bytes: inout [UInt8]) {
        PackArena.with { arena in
            let message = arena.allocate(Workflow__V1__LogEvent.self)
            workflow__v1__log_event__init(message)
            fill(message, from: event, arena: &arena)
            let size = workflow__v1__log_event__get_packed_size(message)
            guard size > 0 else { return }
            let start = bytes.count
            // Array cannot grow uninitialized; zero-filling is cheap next to packing.
            bytes.append(contentsOf: repeatElement(0, count: size))
            bytes.withUnsafeMutableBufferPointer { buffer in
                // `*__pack` writes exactly the size `*__get_packed_size` gave for the same message.
                let written = workflow__v1__log_event__pack(message, buffer.baseAddress! + start)
                precondition(written == size, "protoc-c packed \(written) bytes of workflow.v1.LogEvent, expected \(size)")
            }
        }
    }

    /// `event` encoded as a `workflow.v1.LogEvent` (see ``append(_:to:)``).
    ///
    /// - Parameter event: The event to encode.
    /// - Returns: The protobuf encoding.
    package static func bytes(of event: LogEvent) -> [UInt8] {
        var bytes: [UInt8] = []
        append(event, to: &bytes)
        return bytes
    }

    private static func fill(_ c: UnsafeMutablePointer<Workflow__V1__LogEvent>, from event: LogEvent, arena: inout PackArena) {
        c.pointee.sequence = event.sequence
        c.pointee.timestamp_ms = event.timestampMs
        c.pointee.kind = cKind(event.kind)
        c.pointee.level = cLevel(event.level)
        setText(&c.pointee.message, event.message, arena: &arena)
        setText(&c.pointee.workflow_id, event.workflowID, arena: &arena)
        setText(&c.pointee.workflow_type, event.workflowType, arena: &arena)
        setText(&c.pointee.user_id, event.userID, arena: &arena)
        if let job = event.job {
            setText(&c.pointee.job_id, job.id, arena: &arena)
            setText(&c.pointee.job_name, job.name, arena: &arena)
            c.pointee.job_position = Int32(clamping: job.position)
        }
        if let step = event.step {
            let packed = arena.allocate(Workflow__V1__Step.self)
            workflow__v1__step__init(packed)
            withUnsafePointer(to: step) { step in
                fill(packed, from: step, arena: &arena)
            }
            c.pointee.step = packed
        }
        c.pointee.progress = event.progress ?? 0
        setText(&c.pointee.progress_message, event.progressMessage, arena: &arena)
        if let status = event.workflowStatus {
            c.pointee.workflow_status = cStatus(status)
        }
        if let status = event.jobStatus {
            c.pointee.job_status = cStatus(status)
        }
        if let stats = event.stats {
            c.pointee.stats = self.stats(stats, arena: &arena)
        }
        setText(&c.pointee.error, event.error, arena: &arena)
        setText(&c.pointee.stack, event.stack, arena: &arena)
        if let gap = event.gap {
            c.pointee.gap_from_sequence = gap.lowerBound
            c.pointee.gap_to_sequence = gap.upperBound
        }
        c.pointee.attempt = Int32(clamping: event.attempt)
        c.pointee.retry_at_ms = event.retryAtMs ?? 0
        c.pointee.worker = event.worker.map { worker(of: $0, arena: &arena) }
        let outputs = event.outputs
        c.pointee.n_outputs = outputs.count
        c.pointee.outputs = textMap(outputs, initialize: workflow__v1__log_event__outputs_entry__init, arena: &arena)
        setText(&c.pointee.actor, event.actor, arena: &arena)
    }

    private static func cKind(_ kind: LogEventKind) -> Workflow__V1__LogEventKind {
        switch kind {
        case .workflowStarted: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_STARTED
        case .workflowCompleted: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_COMPLETED
        case .workflowFailed: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_FAILED
        case .workflowCancelled: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_CANCELLED
        case .jobStarted: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_STARTED
        case .jobCompleted: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_COMPLETED
        case .jobFailed: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_FAILED
        case .jobCancelled: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_CANCELLED
        case .stepLogged: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_STEP_LOGGED
        case .progressUpdated: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_PROGRESS_UPDATED
        case .failureNotice: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_FAILURE_NOTICE
        case .gap: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_GAP
        case .workflowRetried: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_RETRIED
        case .jobRetryScheduled: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_RETRY_SCHEDULED
        case .jobInterrupted: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_INTERRUPTED
        case .workflowCancelRequested: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_WORKFLOW_CANCEL_REQUESTED
        case .jobAssigned: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_JOB_ASSIGNED
        case .statsUpdated: WORKFLOW__V1__LOG_EVENT_KIND__LOG_EVENT_KIND_STATS_UPDATED
        }
    }
}
