internal import CWorkflowProtos

extension WorkflowV1 {
    /// A phase of a workflow, such as "Fetch External Assets".
    ///
    /// The Swift form of `workflow.v1.Job`.
    public struct Job: WorkflowV1.Message {
        /// The job's id.
        public var id: String

        /// The job's display name, e.g. `"Fetch External Assets"`.
        public var name: String

        /// The zero-based position of the job in its workflow.
        public var position: Int32

        /// The job's lifecycle state.
        public var status: JobStatus

        /// The steps the job recorded, oldest first.
        public var steps: [Step]

        /// Progress from 0 to 1.
        public var progress: Double

        /// A description of the current progress.
        public var progressMessage: String

        /// The job's duration and counters; `nil` when absent.
        public var stats: Stats?

        /// The error the job failed with; empty unless it failed.
        public var error: String

        /// Where the error happened; empty unless it failed.
        public var stack: String

        /// When the job started, in Unix epoch milliseconds; 0 if it has not.
        public var startedAtMs: Int64

        /// When the job finished, in Unix epoch milliseconds; 0 if it has not.
        public var finishedAtMs: Int64

        /// The number of steps; also set when `steps` is left out (`ListWorkflows`).
        public var stepCount: Int32

        /// 1 for the first run of the job, 2 after one retry, ...
        public var attempt: Int32

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - id: The job's id.
        ///   - name: The job's display name, e.g. `"Fetch External Assets"`.
        ///   - position: The zero-based position of the job in its workflow.
        ///   - status: The job's lifecycle state.
        ///   - steps: The steps the job recorded, oldest first.
        ///   - progress: Progress from 0 to 1.
        ///   - progressMessage: A description of the current progress.
        ///   - stats: The job's duration and counters; `nil` when absent.
        ///   - error: The error the job failed with; empty unless it failed.
        ///   - stack: Where the error happened; empty unless it failed.
        ///   - startedAtMs: When the job started, in Unix epoch milliseconds; 0 if it has not.
        ///   - finishedAtMs: When the job finished, in Unix epoch milliseconds; 0 if it has not.
        ///   - stepCount: The number of steps; also set when `steps` is left out (`ListWorkflows`).
        ///   - attempt: 1 for the first run of the job, 2 after one retry, ...
        public init(
            id: String = "",
            name: String = "",
            position: Int32 = 0,
            status: JobStatus = .unspecified,
            steps: [Step] = [],
            progress: Double = 0,
            progressMessage: String = "",
            stats: Stats? = nil,
            error: String = "",
            stack: String = "",
            startedAtMs: Int64 = 0,
            finishedAtMs: Int64 = 0,
            stepCount: Int32 = 0,
            attempt: Int32 = 0
        ) {
            self.id = id
            self.name = name
            self.position = position
            self.status = status
            self.steps = steps
            self.progress = progress
            self.progressMessage = progressMessage
            self.stats = stats
            self.error = error
            self.stack = stack
            self.startedAtMs = startedAtMs
            self.finishedAtMs = finishedAtMs
            self.stepCount = stepCount
            self.attempt = attempt
        }
    }
}

extension WorkflowV1.Job {
    /// `"workflow.v1.Job"`.
    public static var protoMessageName: String { "workflow.v1.Job" }

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

extension WorkflowV1.Job: CMessageCodec {
    typealias CMessage = Workflow__V1__Job

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__job__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__job__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__job__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__job__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__job__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            id: copyString(c.id),
            name: copyString(c.name),
            position: c.position,
            status: WorkflowV1.JobStatus(c.status),
            steps: WorkflowV1.Step.copy(c.steps, count: c.n_steps),
            progress: c.progress,
            progressMessage: copyString(c.progress_message),
            stats: WorkflowV1.Stats.copy(c.stats),
            error: copyString(c.error),
            stack: copyString(c.stack),
            startedAtMs: c.started_at_ms,
            finishedAtMs: c.finished_at_ms,
            stepCount: c.step_count,
            attempt: c.attempt
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.id = arena.cString(id)
        c.pointee.name = arena.cString(name)
        c.pointee.position = position
        c.pointee.status = status.cValue
        c.pointee.n_steps = steps.count
        c.pointee.steps = arena.messages(steps)
        c.pointee.progress = progress
        c.pointee.progress_message = arena.cString(progressMessage)
        c.pointee.stats = arena.subMessage(stats)
        c.pointee.error = arena.cString(error)
        c.pointee.stack = arena.cString(stack)
        c.pointee.started_at_ms = startedAtMs
        c.pointee.finished_at_ms = finishedAtMs
        c.pointee.step_count = stepCount
        c.pointee.attempt = attempt
    }
}
