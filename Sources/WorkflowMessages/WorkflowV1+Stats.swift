internal import CWorkflowProtos

extension WorkflowV1 {
    /// A duration plus named counters such as `itemsProcessed`, `itemsCreated`, `itemsFailed`.
    ///
    /// The Swift form of `workflow.v1.Stats`.
    public struct Stats: WorkflowV1.Message {
        /// Wall time in milliseconds, measured by the engine.
        public var durationMs: Int64

        /// Named counters, e.g. `["itemsCreated": 12]`.
        public var counters: [String: Int64]

        /// Creates a message; every field defaults to its proto3 default.
        ///
        /// - Parameters:
        ///   - durationMs: Wall time in milliseconds, measured by the engine.
        ///   - counters: Named counters, e.g. `["itemsCreated": 12]`.
        public init(
            durationMs: Int64 = 0,
            counters: [String: Int64] = [:]
        ) {
            self.durationMs = durationMs
            self.counters = counters
        }
    }
}

extension WorkflowV1.Stats {
    /// `"workflow.v1.Stats"`.
    public static var protoMessageName: String { "workflow.v1.Stats" }

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

extension WorkflowV1.Stats: CMessageCodec {
    typealias CMessage = Workflow__V1__Stats

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__stats__init(message)
    }

    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {
        workflow__v1__stats__unpack(nil, length, data)
    }

    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>) {
        workflow__v1__stats__free_unpacked(message, nil)
    }

    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int {
        workflow__v1__stats__get_packed_size(message)
    }

    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        workflow__v1__stats__pack(message, out)
    }

    init(copying c: UnsafePointer<CMessage>) {
        let c = c.pointee
        self.init(
            durationMs: c.duration_ms,
            counters: copyMap(c.counters, count: c.n_counters) { (copyString($0.pointee.key), $0.pointee.value) }
        )
    }

    func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout PackArena) {
        c.pointee.duration_ms = durationMs
        c.pointee.n_counters = counters.count
        c.pointee.counters = arena.mapEntries(
            counters, initialize: workflow__v1__stats__counters_entry__init
        ) { entry, key, value, _ in
            entry.pointee.key = key
            entry.pointee.value = value
        }
    }
}
