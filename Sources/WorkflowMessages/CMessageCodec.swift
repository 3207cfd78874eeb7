internal import CWorkflowProtos

/// The bridge between a message's Swift value type and its protoc-c struct.
///
/// Each message supplies its generated functions and the two field-by-field copies; the
/// generic code below owns the C memory: unpacked trees are freed in exactly one place
/// (``unpack(_:)``), packed trees live in a ``PackArena`` for the duration of one pack.
protocol CMessageCodec: WorkflowV1.Message {
    /// The protoc-c struct, e.g. `Workflow__V1__Workflow`.
    associatedtype CMessage

    /// `*__init`: sets every field to its default (the `*__INIT` macros do not import).
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)
    /// `*__unpack` with the default (malloc) allocator.
    static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>?
    /// `*__free_unpacked` with the default allocator.
    static func cFreeUnpacked(_ message: UnsafeMutablePointer<CMessage>)
    /// `*__get_packed_size`.
    static func cPackedSize(_ message: UnsafePointer<CMessage>) -> Int
    /// `*__pack`.
    static func cPack(_ message: UnsafePointer<CMessage>, _ out: UnsafeMutablePointer<UInt8>) -> Int

    /// Copies every field out of an unpacked C message; keeps no pointer into it.
    init(copying message: UnsafePointer<CMessage>)
    /// Points every field of an `*__init`ed C message at copies of this value's fields,
    /// allocated in `arena`.
    func fill(_ message: UnsafeMutablePointer<CMessage>, arena: inout PackArena)
}

extension CMessageCodec {
    /// Decodes `bytes` with protoc-c, copies the result out and frees the C tree.
    static func unpack(_ bytes: UnsafeRawBufferPointer) throws(MessageDecodingError) -> Self {
        // protoc-c reads `length` bytes from `data` even when length is 0, so it needs a valid
        // pointer; an empty buffer may have none.
        var empty: UInt8 = 0
        let unpacked: UnsafeMutablePointer<CMessage>?
        if let base = bytes.baseAddress, bytes.count > 0 {
            unpacked = cUnpack(bytes.count, base.assumingMemoryBound(to: UInt8.self))
        } else {
            unpacked = cUnpack(0, &empty)
        }
        // `*__unpack` returns the message, or NULL when the bytes are malformed (bad varint, wrong
        // wire type, length past the end) or an allocation failed; protoc-c does not say which.
        guard let unpacked else {
            throw MessageDecodingError(messageName: protoMessageName, byteCount: bytes.count)
        }
        defer { cFreeUnpacked(unpacked) }
        return Self(copying: unpacked)
    }

    /// Builds this value's C tree in an arena and hands it to `body` with its packed size.
    private func withCMessage<R>(_ body: (UnsafePointer<CMessage>, Int) -> R) -> R {
        PackArena.with { arena in
            let message = arena.message(self)
            return body(message, Self.cPackedSize(message))
        }
    }

    /// Packs `message` into `out`, which holds exactly `size` bytes.
    private static func pack(_ message: UnsafePointer<CMessage>, size: Int, into out: UnsafeMutablePointer<UInt8>) {
        // `*__pack` returns the number of bytes written, always the `*__get_packed_size` result
        // for the same tree; anything else means `out` was overrun.
        let written = cPack(message, out)
        precondition(written == size, "protoc-c packed \(written) bytes of \(protoMessageName), expected \(size)")
    }

    /// The protobuf encoding in a new array of exactly the encoded size.
    func packedBytes() -> [UInt8] {
        withCMessage { message, size in
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                Self.pack(message, size: size, into: buffer.baseAddress!)
                initialized = size
            }
        }
    }

    /// Appends the protobuf encoding to `bytes`.
    func pack(appendingTo bytes: inout [UInt8]) {
        withCMessage { message, size in
            guard size > 0 else { return }
            let start = bytes.count
            // Array cannot grow uninitialized; zero-filling is cheap next to packing.
            bytes.append(contentsOf: repeatElement(0, count: size))
            bytes.withUnsafeMutableBufferPointer { buffer in
                Self.pack(message, size: size, into: buffer.baseAddress! + start)
            }
        }
    }

    /// Copies an optional sub-message: NULL (absent) becomes `nil`.
    static func copy(_ message: UnsafeMutablePointer<CMessage>?) -> Self? {
        message.map { Self(copying: $0) }
    }

    /// Copies a repeated sub-message field (`n_*` and a `T **` array).
    static func copy(_ items: UnsafeMutablePointer<UnsafeMutablePointer<CMessage>?>?, count: Int) -> [Self] {
        guard let items, count > 0 else { return [] }
        var result: [Self] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            // protoc-c never leaves a NULL in an unpacked array; skip one rather than crash.
            if let item = items[index] { result.append(Self(copying: item)) }
        }
        return result
    }
}

/// Copies a protoc-c string field; NULL and `""` become `""`, invalid UTF-8 is repaired.
@inline(__always)
func copyString(_ cString: UnsafePointer<CChar>?) -> String {
    guard let cString, cString.pointee != 0 else { return "" }
    return String(cString: cString)
}

/// Copies a protoc-c map field (a repeated `*Entry` message) into a dictionary; a key repeated
/// on the wire keeps its last value, as protobuf requires.
func copyMap<Entry, Value>(
    _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?,
    count: Int,
    _ keyValue: (UnsafeMutablePointer<Entry>) -> (String, Value)
) -> [String: Value] {
    guard let entries, count > 0 else { return [:] }
    var result: [String: Value] = .init(minimumCapacity: count)
    for index in 0..<count {
        guard let entry = entries[index] else { continue }
        let (key, value) = keyValue(entry)
        result[key] = value
    }
    return result
}

extension PackArena {
    /// A C copy of `value`, allocated and `*__init`ed in this arena.
    mutating func message<T: CMessageCodec>(_ value: T) -> UnsafeMutablePointer<T.CMessage> {
        let message = allocate(T.CMessage.self)
        T.cInit(message)
        value.fill(message, arena: &self)
        return message
    }

    /// A C copy of an optional sub-message: `nil` becomes NULL (absent on the wire).
    mutating func subMessage<T: CMessageCodec>(_ value: T?) -> UnsafeMutablePointer<T.CMessage>? {
        guard let value else { return nil }
        return message(value)
    }

    /// A `T **` array for a repeated sub-message field; NULL when empty.
    mutating func messages<T: CMessageCodec>(
        _ values: [T]
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<T.CMessage>?>? {
        guard !values.isEmpty else { return nil }
        let structs = allocate(T.CMessage.self, count: values.count)
        let pointers = allocate(UnsafeMutablePointer<T.CMessage>?.self, count: values.count)
        for (index, value) in values.enumerated() {
            let message = structs + index
            T.cInit(message)
            value.fill(message, arena: &self)
            pointers[index] = message
        }
        return pointers
    }

    /// A `*Entry **` array for a map field, entries sorted by key so the encoding is
    /// deterministic; NULL when empty.
    ///
    /// - Parameters:
    ///   - map: The Swift dictionary.
    ///   - initialize: The entry's `*__init` function.
    ///   - fill: Stores a key (already a C string in this arena) and a value into an entry.
    mutating func mapEntries<Entry, Value>(
        _ map: [String: Value],
        initialize: (UnsafeMutablePointer<Entry>) -> Void,
        fill: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Value, inout PackArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        guard !map.isEmpty else { return nil }
        let entries = allocate(Entry.self, count: map.count)
        let pointers = allocate(UnsafeMutablePointer<Entry>?.self, count: map.count)
        let sorted = map.count == 1 ? Array(map) : map.sorted { $0.key < $1.key }
        for (index, element) in sorted.enumerated() {
            let entry = entries + index
            initialize(entry)
            let key = cString(element.key)
            fill(entry, key, element.value, &self)
            pointers[index] = entry
        }
        return pointers
    }
}
