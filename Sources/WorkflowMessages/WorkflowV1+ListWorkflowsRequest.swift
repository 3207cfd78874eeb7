internal import CWorkflowProtos

extension WorkflowV1 {
    /// The request of `ListWorkflows`: filters and one page of workflow summaries.
    ///
    /// The Swift form of `workflow.v1.ListWorkflowsRequest`.
    ///
    /// ```swift
    /// let request = WorkflowV1.ListWorkflowsRequest(statuses: [.running, .failed], pageSize: 20)
    /// let decoded = try WorkflowV1.ListWorkflowsRequest(serializedBytes: request.serializedBytes())
    /// ```
    public struct ListWorkflowsRequest: WorkflowV1.Message {
        /// Only workflows in one of these states; empty for any. Unknown values are kept.
        public var statuses: [WorkflowStatus]

        /// Only workflows of this type; empty for any.
        public var type: String

        /// Only workflows started by this user; empty for any.
        public var userID: String

        /// Only workflows created at or after this time, in Unix epoch milliseconds; 0 for no bound.
        public var createdAfterMs: Int64

        /// Only workflows created before this time, in Unix epoch milliseconds; 0 for no bound.
        public var createdBeforeMs: Int64

        /// At most this many workflows per page: 1 to 1000, 0 for the default of 50.
        public var pageSize: Int32

        /// The `nextPageToken` of the previous page; empty for the first page.
        public var pageToken: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - statuses: Only workflows in one of these states; empty for any. Unknown values are kept.
        ///   - type: Only workflows of this type; empty for any.
        ///   - userID: Only workflows started by this user; empty for any.
        ///   - createdAfterMs: Only workflows created at or after this time, in Unix epoch milliseconds; 0
        ///     for no bound.
        ///   - createdBeforeMs: Only workflows created before this time, in Unix epoch milliseconds; 0 for
        ///     no bound.
        ///   - pageSize: At most this many workflows per page: 1 to 1000, 0 for the default of 50.
        ///   - pageToken: The `nextPageToken` of the previous page; empty for the first page.
        public init(
            statuses: [WorkflowStatus] = [],
            type: String = "",
            userID: String = "",
            createdAfterMs: Int64 = 0,
            createdBeforeMs: Int64 = 0,
            pageSize: Int32 = 0,
            pageToken: String = ""
        ) {
            self.statuses = statuses
            self.type = type
            self.userID = userID
            self.createdAfterMs = createdAfterMs
            self.createdBeforeMs = createdBeforeMs
            self.pageSize = pageSize
            self.pageToken = pageToken
        }
    }
}

extension WorkflowV1.ListWorkflowsRequest {
    /// `"workflow.v1.ListWorkflowsRequest"`.
    public static var protoMessageName: String { "workflow.v1.ListWorkflowsRequest" }

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

extension WorkflowV1.ListWorkflowsRequest: CMessageCodec {
    typealias CMessage = Workflow__V1__ListWorkflowsRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__list_workflows_request__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__list_workflows_request__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__list_workflows_request__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__list_workflows_request__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__list_workflows_request__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            statuses: WorkflowV1.WorkflowStatus.copy(c.statuses, count: c.n_statuses),
            type: copyString(c.type),
            userID: copyString(c.user_id),
            createdAfterMs: c.created_after_ms,
            createdBeforeMs: c.created_before_ms,
            pageSize: c.page_size,
            pageToken: copyString(c.page_token)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.n_statuses = statuses.count
        c.pointee.statuses = arena.workflowStatuses(statuses)
        c.pointee.type = arena.cString(type)
        c.pointee.user_id = arena.cString(userID)
        c.pointee.created_after_ms = createdAfterMs
        c.pointee.created_before_ms = createdBeforeMs
        c.pointee.page_size = pageSize
        c.pointee.page_token = arena.cString(pageToken)
    }
}
