internal import CWorkflowProtos

extension WorkflowV1 {
    /// The answer to `RetryWorkflow`: the workflow running again, its new attempt and the job it
    /// restarts from.
    ///
    /// The Swift form of `workflow.v1.RetryWorkflowResponse`.
    public struct RetryWorkflowResponse: WorkflowV1.Message {
        /// The id of the retried workflow.
        public var workflowID: String

        /// Always ``WorkflowV1/WorkflowStatus/running``: the call answers at once.
        public var status: WorkflowStatus

        /// The workflow's new attempt number (2 after the first retry).
        public var attempt: Int32

        /// The id of the job the retry starts from.
        public var jobID: String

        /// The name of the job the retry starts from.
        public var jobName: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflowID: The id of the retried workflow.
        ///   - status: Always ``WorkflowV1/WorkflowStatus/running``: the call answers at once.
        ///   - attempt: The workflow's new attempt number (2 after the first retry).
        ///   - jobID: The id of the job the retry starts from.
        ///   - jobName: The name of the job the retry starts from.
        public init(
            workflowID: String = "",
            status: WorkflowStatus = .unspecified,
            attempt: Int32 = 0,
            jobID: String = "",
            jobName: String = ""
        ) {
            self.workflowID = workflowID
            self.status = status
            self.attempt = attempt
            self.jobID = jobID
            self.jobName = jobName
        }
    }
}

extension WorkflowV1.RetryWorkflowResponse {
    /// `"workflow.v1.RetryWorkflowResponse"`.
    public static var protoMessageName: String { "workflow.v1.RetryWorkflowResponse" }

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

extension WorkflowV1.RetryWorkflowResponse: CMessageCodec {
    typealias CMessage = Workflow__V1__RetryWorkflowResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__retry_workflow_response__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__retry_workflow_response__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__retry_workflow_response__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__retry_workflow_response__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__retry_workflow_response__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflowID: copyString(c.workflow_id),
            status: WorkflowV1.WorkflowStatus(c.status),
            attempt: c.attempt,
            jobID: copyString(c.job_id),
            jobName: copyString(c.job_name)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.workflow_id = arena.cString(workflowID)
        c.pointee.status = status.cValue
        c.pointee.attempt = attempt
        c.pointee.job_id = arena.cString(jobID)
        c.pointee.job_name = arena.cString(jobName)
    }
}
