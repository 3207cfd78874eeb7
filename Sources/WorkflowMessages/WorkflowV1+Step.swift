internal import CWorkflowProtos

extension WorkflowV1 {
    /// One recorded operation of a job, e.g. "Created P-101".
    ///
    /// The Swift form of `workflow.v1.Step`.
    public struct Step: WorkflowV1.Message {
        /// The step's id.
        public var id: String

        /// What happened, e.g. `"Created P-101"`.
        public var message: String

        /// The step's severity.
        public var level: LogLevel

        /// The entity the step names; `nil` (absent on the wire) when it names none.
        public var entity: EntityRef?

        /// When the step was recorded, in Unix epoch milliseconds.
        public var timestampMs: Int64

        /// The sequence number of the `STEP_LOGGED` event that recorded this step.
        public var sequence: UInt64

        /// Which run of its job logged the step: 1 for the first, 2 after one retry, ...
        public var attempt: Int32

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - id: The step's id.
        ///   - message: What happened, e.g. `"Created P-101"`.
        ///   - level: The step's severity.
        ///   - entity: The entity the step names; `nil` (absent on the wire) when it names none.
        ///   - timestampMs: When the step was recorded, in Unix epoch milliseconds.
        ///   - sequence: The sequence number of the `STEP_LOGGED` event that recorded this step.
        ///   - attempt: Which run of its job logged the step: 1 for the first, 2 after one retry, ...
        public init(
            id: String = "",
            message: String = "",
            level: LogLevel = .unspecified,
            entity: EntityRef? = nil,
            timestampMs: Int64 = 0,
            sequence: UInt64 = 0,
            attempt: Int32 = 0
        ) {
            self.id = id
            self.message = message
            self.level = level
            self.entity = entity
            self.timestampMs = timestampMs
            self.sequence = sequence
            self.attempt = attempt
        }
    }
}

extension WorkflowV1.Step {
    /// `"workflow.v1.Step"`.
    public static var protoMessageName: String { "workflow.v1.Step" }

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

extension WorkflowV1.Step: CMessageCodec {
    typealias CMessage = Workflow__V1__Step

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__step__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__step__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__step__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__step__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__step__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            id: copyString(c.id),
            message: copyString(c.message),
            level: WorkflowV1.LogLevel(c.level),
            entity: WorkflowV1.EntityRef.copy(c.entity),
            timestampMs: c.timestamp_ms,
            sequence: c.sequence,
            attempt: c.attempt
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.id = arena.cString(id)
        c.pointee.message = arena.cString(message)
        c.pointee.level = level.cValue
        c.pointee.entity = arena.subMessage(entity)
        c.pointee.timestamp_ms = timestampMs
        c.pointee.sequence = sequence
        c.pointee.attempt = attempt
    }
}
