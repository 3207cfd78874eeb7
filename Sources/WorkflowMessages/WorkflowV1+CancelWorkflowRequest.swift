internal import CWorkflowProtos

extension WorkflowV1 {
    /// The request of `CancelWorkflow`: which running workflow to stop, and why.
    ///
    /// The Swift form of `workflow.v1.CancelWorkflowRequest`.
    public struct CancelWorkflowRequest: WorkflowV1.Message {
        /// The id of the running workflow to cancel.
        public var workflowID: String

        /// Why, recorded in the cancellation events; empty for none.
        public var reason: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflowID: The id of the running workflow to cancel.
        ///   - reason: Why, recorded in the cancellation events; empty for none.
        public init(
            workflowID: String = "",
            reason: String = ""
        ) {
            self.workflowID = workflowID
            self.reason = reason
        }
    }
}

extension WorkflowV1.CancelWorkflowRequest {
    /// `"workflow.v1.CancelWorkflowRequest"`.
    public static var protoMessageName: String { "workflow.v1.CancelWorkflowRequest" }

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

extension WorkflowV1.CancelWorkflowRequest: CMessageCodec {
    typealias CMessage = Workflow__V1__CancelWorkflowRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__cancel_workflow_request__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__cancel_workflow_request__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__cancel_workflow_request__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__cancel_workflow_request__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__cancel_workflow_request__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflowID: copyString(c.workflow_id),
            reason: copyString(c.reason)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.workflow_id = arena.cString(workflowID)
        c.pointee.reason = arena.cString(reason)
    }
}
