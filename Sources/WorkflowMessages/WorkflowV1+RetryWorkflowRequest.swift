internal import CWorkflowProtos

extension WorkflowV1 {
    /// The request of `RetryWorkflow`: which failed workflow to re-run from the job that failed.
    ///
    /// The Swift form of `workflow.v1.RetryWorkflowRequest`.
    public struct RetryWorkflowRequest: WorkflowV1.Message {
        /// The id of the failed workflow to retry.
        public var workflowID: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflowID: The id of the failed workflow to retry.
        public init(
            workflowID: String = ""
        ) {
            self.workflowID = workflowID
        }
    }
}

extension WorkflowV1.RetryWorkflowRequest {
    /// `"workflow.v1.RetryWorkflowRequest"`.
    public static var protoMessageName: String { "workflow.v1.RetryWorkflowRequest" }

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

extension WorkflowV1.RetryWorkflowRequest: CMessageCodec {
    typealias CMessage = Workflow__V1__RetryWorkflowRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__retry_workflow_request__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__retry_workflow_request__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__retry_workflow_request__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__retry_workflow_request__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__retry_workflow_request__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflowID: copyString(c.workflow_id)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.workflow_id = arena.cString(workflowID)
    }
}
