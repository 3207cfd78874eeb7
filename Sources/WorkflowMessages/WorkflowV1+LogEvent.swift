internal import CWorkflowProtos

extension WorkflowV1 {
    /// One change made by the engine, as streamed by `WatchLogs`.
    ///
    /// The Swift form of `workflow.v1.LogEvent`.
    ///
    /// ```swift
    /// let event = WorkflowV1.LogEvent(
    ///     sequence: 42, timestampMs: 1_700_000_000_000, kind: .stepLogged, level: .info,
    ///     message: "Created P-101", workflowID: "wf-1",
    ///     step: WorkflowV1.Step(id: "s-1", message: "Created P-101", level: .info))
    /// var frame: [UInt8] = [0, 0, 0, 0, 0]  // gRPC prefix, length patched afterwards
    /// event.serialize(appendingTo: &frame)
    /// ```
    public struct LogEvent: WorkflowV1.Message {
        /// Server-wide and strictly increasing; pass the last one seen as `afterSequence` to resume.
        public var sequence: UInt64

        /// When the event happened, in Unix epoch milliseconds.
        public var timestampMs: Int64

        /// What the event reports.
        public var kind: LogEventKind

        /// The event's severity.
        public var level: LogLevel

        /// A human-readable description of the event.
        public var message: String

        /// The id of the workflow the event belongs to.
        public var workflowID: String

        /// The type of the workflow the event belongs to.
        public var workflowType: String

        /// The id of the user who started the workflow.
        public var userID: String

        /// Set for job, step and progress events: the job's id.
        public var jobID: String

        /// Set for job, step and progress events: the job's name.
        public var jobName: String

        /// Set for job, step and progress events: the job's zero-based position.
        public var jobPosition: Int32

        /// Set for ``WorkflowV1/LogEventKind/stepLogged``: the recorded step; `nil` otherwise.
        public var step: Step?

        /// Set for ``WorkflowV1/LogEventKind/progressUpdated``: progress from 0 to 1.
        public var progress: Double

        /// Set for ``WorkflowV1/LogEventKind/progressUpdated``: repeats `message`.
        public var progressMessage: String

        /// Set for workflow lifecycle events: the status the workflow moved to.
        public var workflowStatus: WorkflowStatus

        /// Set for job lifecycle events: the status the job moved to.
        public var jobStatus: JobStatus

        /// Set for completion and failure events: duration and counters; `nil` otherwise.
        public var stats: Stats?

        /// Set for failure events and the failure notice: the error.
        public var error: String

        /// Set for failure events and the failure notice: where the error happened.
        public var stack: String

        /// Set for ``WorkflowV1/LogEventKind/gap``: the first sequence the watcher missed.
        public var gapFromSequence: UInt64

        /// Set for ``WorkflowV1/LogEventKind/gap``: the last sequence the watcher missed.
        public var gapToSequence: UInt64

        /// Set for job, step and retry events: the attempt of the job (1, 2, ...).
        public var attempt: Int32

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - sequence: Server-wide and strictly increasing; pass the last one seen as `afterSequence` to
        ///     resume.
        ///   - timestampMs: When the event happened, in Unix epoch milliseconds.
        ///   - kind: What the event reports.
        ///   - level: The event's severity.
        ///   - message: A human-readable description of the event.
        ///   - workflowID: The id of the workflow the event belongs to.
        ///   - workflowType: The type of the workflow the event belongs to.
        ///   - userID: The id of the user who started the workflow.
        ///   - jobID: Set for job, step and progress events: the job's id.
        ///   - jobName: Set for job, step and progress events: the job's name.
        ///   - jobPosition: Set for job, step and progress events: the job's zero-based position.
        ///   - step: Set for ``WorkflowV1/LogEventKind/stepLogged``: the recorded step; `nil` otherwise.
        ///   - progress: Set for ``WorkflowV1/LogEventKind/progressUpdated``: progress from 0 to 1.
        ///   - progressMessage: Set for ``WorkflowV1/LogEventKind/progressUpdated``: repeats `message`.
        ///   - workflowStatus: Set for workflow lifecycle events: the status the workflow moved to.
        ///   - jobStatus: Set for job lifecycle events: the status the job moved to.
        ///   - stats: Set for completion and failure events: duration and counters; `nil` otherwise.
        ///   - error: Set for failure events and the failure notice: the error.
        ///   - stack: Set for failure events and the failure notice: where the error happened.
        ///   - gapFromSequence: Set for ``WorkflowV1/LogEventKind/gap``: the first sequence the watcher
        ///     missed.
        ///   - gapToSequence: Set for ``WorkflowV1/LogEventKind/gap``: the last sequence the watcher missed.
        ///   - attempt: Set for job, step and retry events: the attempt of the job (1, 2, ...).
        public init(
            sequence: UInt64 = 0,
            timestampMs: Int64 = 0,
            kind: LogEventKind = .unspecified,
            level: LogLevel = .unspecified,
            message: String = "",
            workflowID: String = "",
            workflowType: String = "",
            userID: String = "",
            jobID: String = "",
            jobName: String = "",
            jobPosition: Int32 = 0,
            step: Step? = nil,
            progress: Double = 0,
            progressMessage: String = "",
            workflowStatus: WorkflowStatus = .unspecified,
            jobStatus: JobStatus = .unspecified,
            stats: Stats? = nil,
            error: String = "",
            stack: String = "",
            gapFromSequence: UInt64 = 0,
            gapToSequence: UInt64 = 0,
            attempt: Int32 = 0
        ) {
            self.sequence = sequence
            self.timestampMs = timestampMs
            self.kind = kind
            self.level = level
            self.message = message
            self.workflowID = workflowID
            self.workflowType = workflowType
            self.userID = userID
            self.jobID = jobID
            self.jobName = jobName
            self.jobPosition = jobPosition
            self.step = step
            self.progress = progress
            self.progressMessage = progressMessage
            self.workflowStatus = workflowStatus
            self.jobStatus = jobStatus
            self.stats = stats
            self.error = error
            self.stack = stack
            self.gapFromSequence = gapFromSequence
            self.gapToSequence = gapToSequence
            self.attempt = attempt
        }
    }
}

extension WorkflowV1.LogEvent {
    /// `"workflow.v1.LogEvent"`.
    public static var protoMessageName: String { "workflow.v1.LogEvent" }

    /// Decodes the message from protobuf binary bytes without copying them first.
    ///
    /// - Parameter bytes: The encoded message.
    /// - Throws: ``MessageDecodingError`` if `bytes` is not a valid encoding of this message.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(MessageDecodingError) {
        self = try Self.unpack(bytes)
    }

    /// Encodes the message into a new array of exactly the encoded size.
    ///
    /// - Returns: The protobuf binary encoding.
    public func serializedBytes() -> [UInt8] {
        packedBytes()
    }

    /// Appends the protobuf binary encoding to `bytes`.
    ///
    /// - Parameter bytes: The array to grow; its existing contents are kept.
    public func serialize(appendingTo bytes: inout [UInt8]) {
        pack(appendingTo: &bytes)
    }
}

extension WorkflowV1.LogEvent: CMessageCodec {
    typealias CMessage = Workflow__V1__LogEvent

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__log_event__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__log_event__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__log_event__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__log_event__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__log_event__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            sequence: c.sequence,
            timestampMs: c.timestamp_ms,
            kind: WorkflowV1.LogEventKind(c.kind),
            level: WorkflowV1.LogLevel(c.level),
            message: copyString(c.message),
            workflowID: copyString(c.workflow_id),
            workflowType: copyString(c.workflow_type),
            userID: copyString(c.user_id),
            jobID: copyString(c.job_id),
            jobName: copyString(c.job_name),
            jobPosition: c.job_position,
            step: WorkflowV1.Step.copy(c.step),
            progress: c.progress,
            progressMessage: copyString(c.progress_message),
            workflowStatus: WorkflowV1.WorkflowStatus(c.workflow_status),
            jobStatus: WorkflowV1.JobStatus(c.job_status),
            stats: WorkflowV1.Stats.copy(c.stats),
            error: copyString(c.error),
            stack: copyString(c.stack),
            gapFromSequence: c.gap_from_sequence,
            gapToSequence: c.gap_to_sequence,
            attempt: c.attempt
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.sequence = sequence
        c.pointee.timestamp_ms = timestampMs
        c.pointee.kind = kind.cValue
        c.pointee.level = level.cValue
        c.pointee.message = arena.cString(message)
        c.pointee.workflow_id = arena.cString(workflowID)
        c.pointee.workflow_type = arena.cString(workflowType)
        c.pointee.user_id = arena.cString(userID)
        c.pointee.job_id = arena.cString(jobID)
        c.pointee.job_name = arena.cString(jobName)
        c.pointee.job_position = jobPosition
        c.pointee.step = arena.subMessage(step)
        c.pointee.progress = progress
        c.pointee.progress_message = arena.cString(progressMessage)
        c.pointee.workflow_status = workflowStatus.cValue
        c.pointee.job_status = jobStatus.cValue
        c.pointee.stats = arena.subMessage(stats)
        c.pointee.error = arena.cString(error)
        c.pointee.stack = arena.cString(stack)
        c.pointee.gap_from_sequence = gapFromSequence
        c.pointee.gap_to_sequence = gapToSequence
        c.pointee.attempt = attempt
    }
}
