internal import CWorkflowProtos

extension WorkflowV1 {
    /// The request of `StartWorkflow`: which workflow type to run, with what parameters, for whom.
    ///
    /// The Swift form of `workflow.v1.StartWorkflowRequest`.
    public struct StartWorkflowRequest: WorkflowV1.Message {
        /// A registered workflow type such as `"IMPORT_ASSETS"` or `"TEST"`.
        public var type: String

        /// Parameters for the workflow's jobs, e.g. `["file_path": "/data/assets.csv"]`.
        public var params: [String: String]

        /// The id of the user starting the workflow.
        public var userID: String

        /// The display name of the user starting the workflow.
        public var userName: String

        /// A human-readable summary such as `"Import Gold Mine"`.
        public var summary: String

        /// An optional caller-chosen id that makes retries of this call safe; empty for none.
        public var requestID: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - type: A registered workflow type such as `"IMPORT_ASSETS"` or `"TEST"`.
        ///   - params: Parameters for the workflow's jobs, e.g. `["file_path": "/data/assets.csv"]`.
        ///   - userID: The id of the user starting the workflow.
        ///   - userName: The display name of the user starting the workflow.
        ///   - summary: A human-readable summary such as `"Import Gold Mine"`.
        ///   - requestID: An optional caller-chosen id that makes retries of this call safe; empty for none.
        public init(
            type: String = "",
            params: [String: String] = [:],
            userID: String = "",
            userName: String = "",
            summary: String = "",
            requestID: String = ""
        ) {
            self.type = type
            self.params = params
            self.userID = userID
            self.userName = userName
            self.summary = summary
            self.requestID = requestID
        }
    }
}

extension WorkflowV1.StartWorkflowRequest {
    /// `"workflow.v1.StartWorkflowRequest"`.
    public static var protoMessageName: String { "workflow.v1.StartWorkflowRequest" }

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

extension WorkflowV1.StartWorkflowRequest: CMessageCodec {
    typealias CMessage = Workflow__V1__StartWorkflowRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__start_workflow_request__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__start_workflow_request__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__start_workflow_request__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__start_workflow_request__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__start_workflow_request__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            type: copyString(c.type),
            params: copyMap(c.params, count: c.n_params) { (copyString($0.pointee.key), copyString($0.pointee.value)) },
            userID: copyString(c.user_id),
            userName: copyString(c.user_name),
            summary: copyString(c.summary),
            requestID: copyString(c.request_id)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.type = arena.cString(type)
        c.pointee.n_params = params.count
        c.pointee.params = arena.mapEntries(
            params, initialize: workflow__v1__start_workflow_request__params_entry__init
        ) { entry, key, value, arena in
            entry.pointee.key = key
            entry.pointee.value = arena.cString(value)
        }
        c.pointee.user_id = arena.cString(userID)
        c.pointee.user_name = arena.cString(userName)
        c.pointee.summary = arena.cString(summary)
        c.pointee.request_id = arena.cString(requestID)
    }
}
