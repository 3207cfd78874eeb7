internal import CWorkflowProtos

extension WorkflowV1 {
    /// The answer to `CancelWorkflow`, sent at once: the workflow stops when its running job next
    /// checks for cancellation.
    ///
    /// The Swift form of `workflow.v1.CancelWorkflowResponse`.
    public struct CancelWorkflowResponse: WorkflowV1.Message {
        /// The id of the workflow being cancelled.
        public var workflowID: String

        /// ``WorkflowV1/WorkflowStatus/running`` until the running job stops; then the workflow ends
        /// ``WorkflowV1/WorkflowStatus/cancelled``.
        public var status: WorkflowStatus

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflowID: The id of the workflow being cancelled.
        ///   - status: ``WorkflowV1/WorkflowStatus/running`` until the running job stops; then the workflow
        ///     ends ``WorkflowV1/WorkflowStatus/cancelled``.
        public init(
            workflowID: String = "",
            status: WorkflowStatus = .unspecified
        ) {
            self.workflowID = workflowID
            self.status = status
        }
    }
}

extension WorkflowV1.CancelWorkflowResponse {
    /// `"workflow.v1.CancelWorkflowResponse"`.
    public static var protoMessageName: String { "workflow.v1.CancelWorkflowResponse" }

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

extension WorkflowV1.CancelWorkflowResponse: CMessageCodec {
    typealias CMessage = Workflow__V1__CancelWorkflowResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__cancel_workflow_response__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__cancel_workflow_response__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__cancel_workflow_response__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__cancel_workflow_response__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__cancel_workflow_response__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflowID: copyString(c.workflow_id),
            status: WorkflowV1.WorkflowStatus(c.status)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.workflow_id = arena.cString(workflowID)
        c.pointee.status = status.cValue
    }
}
