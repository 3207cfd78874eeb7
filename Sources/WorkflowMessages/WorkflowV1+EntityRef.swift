internal import CWorkflowProtos

extension WorkflowV1 {
    /// A reference a console can link to, e.g. tag `"P-101"`, route `"/assets/123"`.
    ///
    /// The Swift form of `workflow.v1.EntityRef`.
    public struct EntityRef: WorkflowV1.Message {
        /// A short label such as `"P-101"`.
        public var tag: String

        /// A console route such as `"/assets/123"`.
        public var route: String

        /// The entity's id.
        public var id: String

        /// The entity's type, e.g. `"asset"`.
        public var type: String

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - tag: A short label such as `"P-101"`.
        ///   - route: A console route such as `"/assets/123"`.
        ///   - id: The entity's id.
        ///   - type: The entity's type, e.g. `"asset"`.
        public init(
            tag: String = "",
            route: String = "",
            id: String = "",
            type: String = ""
        ) {
            self.tag = tag
            self.route = route
            self.id = id
            self.type = type
        }
    }
}

extension WorkflowV1.EntityRef {
    /// `"workflow.v1.EntityRef"`.
    public static var protoMessageName: String { "workflow.v1.EntityRef" }

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

extension WorkflowV1.EntityRef: CMessageCodec {
    typealias CMessage = Workflow__V1__EntityRef

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__entity_ref__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__entity_ref__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__entity_ref__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__entity_ref__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__entity_ref__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            tag: copyString(c.tag),
            route: copyString(c.route),
            id: copyString(c.id),
            type: copyString(c.type)
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.tag = arena.cString(tag)
        c.pointee.route = arena.cString(route)
        c.pointee.id = arena.cString(id)
        c.pointee.type = arena.cString(type)
    }
}
