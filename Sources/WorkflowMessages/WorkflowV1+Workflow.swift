internal import CWorkflowProtos

extension WorkflowV1 {
    /// A user- or service-initiated action made of ordered jobs: the answer to `GetWorkflow`.
    ///
    /// The Swift form of `workflow.v1.Workflow`.
    ///
    /// ```swift
    /// let workflow = WorkflowV1.Workflow(
    ///     id: "wf-1", type: "IMPORT_ASSETS", status: .running,
    ///     jobs: [WorkflowV1.Job(id: "job-1", name: "Fetch External Assets", status: .running)])
    /// let decoded = try WorkflowV1.Workflow(serializedBytes: workflow.serializedBytes())
    /// ```
    public struct Workflow: WorkflowV1.Message {
        /// The workflow's id.
        public var id: String

        /// The registered workflow type, e.g. `"IMPORT_ASSETS"`.
        public var type: String

        /// A human-readable summary such as `"Import Gold Mine"`.
        public var summary: String

        /// The workflow's lifecycle state.
        public var status: WorkflowStatus

        /// When the workflow was created, in Unix epoch milliseconds.
        public var createdAtMs: Int64

        /// When the workflow started, in Unix epoch milliseconds; 0 if it has not.
        public var startedAtMs: Int64

        /// When the workflow finished, in Unix epoch milliseconds; 0 if it has not.
        public var finishedAtMs: Int64

        /// The id of the user who started the workflow.
        public var userID: String

        /// The display name of the user who started the workflow.
        public var userName: String

        /// The parameters the workflow was started with.
        public var params: [String: String]

        /// The workflow's jobs in order.
        public var jobs: [Job]

        /// The duration of the whole workflow and the sum of its jobs' counters; `nil` when absent.
        public var stats: Stats?

        /// Set when the workflow failed: the error of the job it failed at.
        public var error: String

        /// Set when the workflow failed: the id of the job it failed at.
        public var failedJobID: String

        /// Set when the workflow failed: the name of the job it failed at.
        public var failedJobName: String

        /// The `requestID` the workflow was started with; empty for none.
        public var requestID: String

        /// 1 for the first run, plus one per retry.
        public var attempt: Int32

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - id: The workflow's id.
        ///   - type: The registered workflow type, e.g. `"IMPORT_ASSETS"`.
        ///   - summary: A human-readable summary such as `"Import Gold Mine"`.
        ///   - status: The workflow's lifecycle state.
        ///   - createdAtMs: When the workflow was created, in Unix epoch milliseconds.
        ///   - startedAtMs: When the workflow started, in Unix epoch milliseconds; 0 if it has not.
        ///   - finishedAtMs: When the workflow finished, in Unix epoch milliseconds; 0 if it has not.
        ///   - userID: The id of the user who started the workflow.
        ///   - userName: The display name of the user who started the workflow.
        ///   - params: The parameters the workflow was started with.
        ///   - jobs: The workflow's jobs in order.
        ///   - stats: The duration of the whole workflow and the sum of its jobs' counters; `nil` when
        ///     absent.
        ///   - error: Set when the workflow failed: the error of the job it failed at.
        ///   - failedJobID: Set when the workflow failed: the id of the job it failed at.
        ///   - failedJobName: Set when the workflow failed: the name of the job it failed at.
        ///   - requestID: The `requestID` the workflow was started with; empty for none.
        ///   - attempt: 1 for the first run, plus one per retry.
        public init(
            id: String = "",
            type: String = "",
            summary: String = "",
            status: WorkflowStatus = .unspecified,
            createdAtMs: Int64 = 0,
            startedAtMs: Int64 = 0,
            finishedAtMs: Int64 = 0,
            userID: String = "",
            userName: String = "",
            params: [String: String] = [:],
            jobs: [Job] = [],
            stats: Stats? = nil,
            error: String = "",
            failedJobID: String = "",
            failedJobName: String = "",
            requestID: String = "",
            attempt: Int32 = 0
        ) {
            self.id = id
            self.type = type
            self.summary = summary
            self.status = status
            self.createdAtMs = createdAtMs
            self.startedAtMs = startedAtMs
            self.finishedAtMs = finishedAtMs
            self.userID = userID
            self.userName = userName
            self.params = params
            self.jobs = jobs
            self.stats = stats
            self.error = error
            self.failedJobID = failedJobID
            self.failedJobName = failedJobName
            self.requestID = requestID
            self.attempt = attempt
        }
    }
}

extension WorkflowV1.Workflow {
    /// `"workflow.v1.Workflow"`.
    public static var protoMessageName: String { "workflow.v1.Workflow" }

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

extension WorkflowV1.Workflow: CMessageCodec {
    typealias CMessage = Workflow__V1__Workflow

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__workflow__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__workflow__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__workflow__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__workflow__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__workflow__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            id: copyString(c.id),
            type: copyString(c.type),
            summary: copyString(c.summary),
            status: WorkflowV1.WorkflowStatus(c.status),
            createdAtMs: c.created_at_ms,
            startedAtMs: c.started_at_ms,
            finishedAtMs: c.finished_at_ms,
            userID: copyString(c.user_id),
            userName: copyString(c.user_name),
            params: copyMap(c.params, count: c.n_params) { (copyString($0.pointee.key), copyString($0.pointee.value)) },
            jobs: WorkflowV1.Job.copy(c.jobs, count: c.n_jobs),
            stats: WorkflowV1.Stats.copy(c.stats),
            error: copyString(c.error),
            failedJobID: copyString(c.failed_job_id),
            failedJobName: copyString(c.failed_job_name),
            requestID: copyString(c.request_id),
            attempt: c.attempt
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.id = arena.cString(id)
        c.pointee.type = arena.cString(type)
        c.pointee.summary = arena.cString(summary)
        c.pointee.status = status.cValue
        c.pointee.created_at_ms = createdAtMs
        c.pointee.started_at_ms = startedAtMs
        c.pointee.finished_at_ms = finishedAtMs
        c.pointee.user_id = arena.cString(userID)
        c.pointee.user_name = arena.cString(userName)
        c.pointee.n_params = params.count
        c.pointee.params = arena.mapEntries(
            params, initialize: workflow__v1__workflow__params_entry__init
        ) { entry, key, value, arena in
            entry.pointee.key = key
            entry.pointee.value = arena.cString(value)
        }
        c.pointee.n_jobs = jobs.count
        c.pointee.jobs = arena.messages(jobs)
        c.pointee.stats = arena.subMessage(stats)
        c.pointee.error = arena.cString(error)
        c.pointee.failed_job_id = arena.cString(failedJobID)
        c.pointee.failed_job_name = arena.cString(failedJobName)
        c.pointee.request_id = arena.cString(requestID)
        c.pointee.attempt = attempt
    }
}
