internal import CWorkflowProtos

extension WorkflowV1 {
    /// The answer to `ListWorkflows`: one page of workflow summaries, newest first.
    ///
    /// The Swift form of `workflow.v1.ListWorkflowsResponse`.
    public struct ListWorkflowsResponse: WorkflowV1.Message {
        /// Newest first; their jobs carry no steps (see ``WorkflowV1/Job/stepCount``).
        public var workflows: [Workflow]

        /// Pass as `pageToken` for the next page; empty on the last page.
        public var nextPageToken: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflows: Newest first; their jobs carry no steps (see ``WorkflowV1/Job/stepCount``).
        ///   - nextPageToken: Pass as `pageToken` for the next page; empty on the last page.
        public init(
            workflows: [Workflow] = [],
            nextPageToken: String = ""
        ) {
            self.workflows = workflows
            self.nextPageToken = nextPageToken
        }
    }
}

extension WorkflowV1.ListWorkflowsResponse {
    /// `"workflow.v1.ListWorkflowsResponse"`.
    public static var protoMessageName: String { "workflow.v1.ListWorkflowsResponse" }

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

extension WorkflowV1.ListWorkflowsResponse: CMessageCodec {
    typealias CMessage = Workflow__V1__ListWorkflowsResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__list_workflows_response__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__list_workflows_response__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__list_workflows_response__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__list_workflows_response__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__list_workflows_response__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflows: WorkflowV1.Workflow.copy(c.workflows, count: c.n_workflows),
            nextPageToken: copyString(c.next_page_token)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.n_workflows = workflows.count
        c.pointee.workflows = arena.messages(workflows)
        c.pointee.next_page_token = arena.cString(nextPageToken)
    }
}
