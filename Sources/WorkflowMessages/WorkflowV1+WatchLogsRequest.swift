internal import CWorkflowProtos

extension WorkflowV1 {
    /// The request of `WatchLogs`: which events to stream and where to start.
    ///
    /// The Swift form of `workflow.v1.WatchLogsRequest`.
    public struct WatchLogsRequest: WorkflowV1.Message {
        /// One workflow's events; empty for the events of every workflow.
        public var workflowID: String

        /// Events below this level are not sent (``WorkflowV1/LogLevel/unspecified`` sends all); terminal
        /// workflow events are always sent.
        public var minLevel: LogLevel

        /// Replay retained events with a greater sequence first; 0 replays everything retained.
        public var afterSequence: UInt64

        /// Skip the replay and send only events that happen after the call arrives.
        public var liveOnly: Bool

        /// Only workflows of this type; empty for any.
        public var workflowType: String

        /// Only workflows started by this user; empty for any.
        public var userID: String

        /// Only events of this job; empty for any. Terminal workflow events of the matching
        /// workflows are always sent.
        public var jobID: String

        /// Only steps naming this entity tag; empty for any. Terminal workflow events of the
        /// matching workflows are always sent.
        public var entityTag: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - workflowID: One workflow's events; empty for the events of every workflow.
        ///   - minLevel: Events below this level are not sent (``WorkflowV1/LogLevel/unspecified`` sends
        ///     all); terminal workflow events are always sent.
        ///   - afterSequence: Replay retained events with a greater sequence first; 0 replays everything
        ///     retained.
        ///   - liveOnly: Skip the replay and send only events that happen after the call arrives.
        ///   - workflowType: Only workflows of this type; empty for any.
        ///   - userID: Only workflows started by this user; empty for any.
        ///   - jobID: Only events of this job; empty for any. Terminal workflow events of the matching
        ///     workflows are always sent.
        ///   - entityTag: Only steps naming this entity tag; empty for any. Terminal workflow events of the
        ///     matching workflows are always sent.
        public init(
            workflowID: String = "",
            minLevel: LogLevel = .unspecified,
            afterSequence: UInt64 = 0,
            liveOnly: Bool = false,
            workflowType: String = "",
            userID: String = "",
            jobID: String = "",
            entityTag: String = ""
        ) {
            self.workflowID = workflowID
            self.minLevel = minLevel
            self.afterSequence = afterSequence
            self.liveOnly = liveOnly
            self.workflowType = workflowType
            self.userID = userID
            self.jobID = jobID
            self.entityTag = entityTag
        }
    }
}

extension WorkflowV1.WatchLogsRequest {
    /// `"workflow.v1.WatchLogsRequest"`.
    public static var protoMessageName: String { "workflow.v1.WatchLogsRequest" }

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

extension WorkflowV1.WatchLogsRequest: CMessageCodec {
    typealias CMessage = Workflow__V1__WatchLogsRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__watch_logs_request__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__watch_logs_request__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__watch_logs_request__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__watch_logs_request__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__watch_logs_request__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            workflowID: copyString(c.workflow_id),
            minLevel: WorkflowV1.LogLevel(c.min_level),
            afterSequence: c.after_sequence,
            liveOnly: c.live_only != 0,
            workflowType: copyString(c.workflow_type),
            userID: copyString(c.user_id),
            jobID: copyString(c.job_id),
            entityTag: copyString(c.entity_tag)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.workflow_id = arena.cString(workflowID)
        c.pointee.min_level = minLevel.cValue
        c.pointee.after_sequence = afterSequence
        c.pointee.live_only = liveOnly ? 1 : 0
        c.pointee.workflow_type = arena.cString(workflowType)
        c.pointee.user_id = arena.cString(userID)
        c.pointee.job_id = arena.cString(jobID)
        c.pointee.entity_tag = arena.cString(entityTag)
    }
}
