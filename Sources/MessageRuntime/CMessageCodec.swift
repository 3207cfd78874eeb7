/// The bridge between a generated message's Swift value type and its protoc-c struct.
///
/// For generated code (and `WorkflowTreePacking`'s `PackArena` calls) only: its requirements
/// and the helpers below are SPI (`@_spi(MessageRuntime) import MessageRuntime`), public and
/// `@inlinable` so that each message's calls specialize in its own module (Swift does not
/// specialize `package` generics across modules).
///
/// Each generated message supplies its protoc-c functions and the two field-by-field copies; the
/// generic code below owns the C memory: a C tree lives in a ``PackArena`` for the duration of
/// one pack or unpack (an unpack the arena refuses, ``ArenaUnpack``, is made with `malloc` and
/// freed in exactly one place, ``unpack(_:)``).
public protocol CMessageCodec: ProtoMessage {
    /// `MemoryLayout.stride` of the protoc-c struct, e.g. `Workflow__V1__Workflow`.
    @_spi(MessageRuntime) static var cMessageSize: Int { get }
    /// `MemoryLayout.alignment` of the protoc-c struct.
    @_spi(MessageRuntime) static var cMessageAlignment: Int { get }

    /// `*__init` on uninitialized memory for one struct, which it binds to the struct's type;
    /// sets every field to its default (the `*__INIT` macros do not import).
    @_spi(MessageRuntime) static func cInit(_ message: UnsafeMutableRawPointer)
    /// `*__unpack`: with an allocator that allocates through the ``ArenaUnpack`` `arena` points
    /// to and frees nothing, or with the default one (`malloc`) when `arena` is nil.
    @_spi(MessageRuntime) static func cUnpack(_ length: Int, _ data: UnsafePointer<UInt8>, arena: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
    /// `*__free_unpacked` with the default allocator.
    @_spi(MessageRuntime) static func cFreeUnpacked(_ message: UnsafeMutableRawPointer)
    /// `*__get_packed_size`.
    @_spi(MessageRuntime) static func cPackedSize(_ message: UnsafeRawPointer) -> Int
    /// `*__pack`.
    @_spi(MessageRuntime) static func cPack(_ message: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt8>) -> Int

    /// Copies every field out of an unpacked C message; keeps no pointer into it.
    /// - Throws: ``CCopy/InvalidUTF8`` for a string field that is not UTF-8.
    @_spi(MessageRuntime) init(copying message: UnsafeRawPointer) throws(CCopy.InvalidUTF8)
    /// Points every field of an `*__init`ed C message at copies of this value's fields,
    /// allocated in `arena`.
    @_spi(MessageRuntime) func fill(_ message: UnsafeMutableRawPointer, arena: inout PackArena)
}

extension CMessageCodec {
    /// Decodes `bytes` with protoc-c into an arena and copies the result out; when the arena
    /// refuses (``ArenaUnpack``), decodes them again with `malloc` and frees the C tree.
    ///
    /// In an arena, a request's C tree (the message, each string, each map entry) costs no
    /// `malloc` and no `free`: a StartWorkflowRequest with three parameters made ten of each.
    @inlinable
    @_spi(MessageRuntime) public static func unpack(_ bytes: UnsafeRawBufferPointer) throws(MessageDecodingError) -> Self {
        let inArena = ArenaUnpack.with(inputBytes: bytes.count) { unpack -> Result<Self, MessageDecodingError>? in
            guard let unpacked = withInput(bytes, { cUnpack(bytes.count, $0, arena: UnsafeMutableRawPointer(unpack)) }) else {
                return unpack.pointee.refused ? nil : .failure(malformed(bytes.count))
            }
            return copy(unpacked, inputBytes: bytes.count)
        }
        if let inArena {
            return try inArena.get()
        }
        guard let unpacked = withInput(bytes, { cUnpack(bytes.count, $0, arena: nil) }) else {
            throw malformed(bytes.count)
        }
        defer { cFreeUnpacked(unpacked) }
        return try copy(unpacked, inputBytes: bytes.count).get()
    }

    /// Calls `body` with a pointer to `bytes`: protoc-c reads `length` bytes from `data` even
    /// when length is 0, so it needs a valid pointer, which an empty buffer may not have.
    @inlinable
    @_spi(MessageRuntime) public static func withInput<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        if let base = bytes.baseAddress, bytes.count > 0 {
            return body(base.assumingMemoryBound(to: UInt8.self))
        }
        return withUnsafePointer(to: UInt8(0)) { body($0) }
    }

    /// `*__unpack` returns the message, or NULL when the bytes are malformed (bad varint, wrong
    /// wire type, length past the end) or an allocation failed; protoc-c does not say which.
    @inlinable
    @_spi(MessageRuntime) public static func malformed(_ inputBytes: Int) -> MessageDecodingError {
        MessageDecodingError(messageName: protoMessageName, byteCount: inputBytes)
    }

    /// The value of an unpacked C message, or the string field that is not UTF-8.
    @inlinable
    @_spi(MessageRuntime) public static func copy(_ unpacked: UnsafeMutableRawPointer, inputBytes: Int) -> Result<Self, MessageDecodingError> {
        do throws(CCopy.InvalidUTF8) {
            return .success(try Self(copying: unpacked))
        } catch {
            return .failure(MessageDecodingError(messageName: protoMessageName, byteCount: inputBytes, invalidUTF8Field: error.field))
        }
    }

    /// Builds this value's C tree in an arena and hands it to `body` with its packed size.
    @inlinable
    @_spi(MessageRuntime) public func withCMessage<R>(_ body: (UnsafeRawPointer, Int) -> R) -> R {
        PackArena.with { arena in
            let message = arena.message(self)
            return body(message, Self.cPackedSize(message))
        }
    }

    /// Packs `message` into `out`, which holds exactly `size` bytes.
    @inlinable
    @_spi(MessageRuntime) public static func pack(_ message: UnsafeRawPointer, size: Int, into out: UnsafeMutablePointer<UInt8>) {
        // `*__pack` returns the number of bytes written, always the `*__get_packed_size` result
        // for the same tree; anything else means `out` was overrun.
        let written = cPack(message, out)
        precondition(written == size, "protoc-c packed \(written) bytes of \(protoMessageName), expected \(size)")
    }

    /// The protobuf encoding in a new array of exactly the encoded size.
    @inlinable
    @_spi(MessageRuntime) public func packedBytes() -> [UInt8] {
        withCMessage { message, size in
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                Self.pack(message, size: size, into: buffer.baseAddress!)
                initialized = size
            }
        }
    }

    /// Appends the protobuf encoding to `bytes`.
    @inlinable
    @_spi(MessageRuntime) public func pack(appendingTo bytes: inout [UInt8]) {
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
    @inlinable
    @_spi(MessageRuntime) public static func copy(_ message: UnsafeRawPointer?) throws(CCopy.InvalidUTF8) -> Self? {
        guard let message else { return nil }
        return try Self(copying: message)
    }

    /// Copies a repeated sub-message field (`n_*` and a `T **` array).
    @inlinable
    @_spi(MessageRuntime) public static func copy(array items: UnsafeRawPointer?, count: Int) throws(CCopy.InvalidUTF8) -> [Self] {
        guard let items, count > 0 else { return [] }
        var result: [Self] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            // protoc-c never leaves a NULL in an unpacked array; skip one rather than crash.
            if let item = items.load(fromByteOffset: index * MemoryLayout<UnsafeRawPointer?>.stride, as: UnsafeRawPointer?.self) {
                result.append(try Self(copying: item))
            }
        }
        return result
    }
}

/// Copies protoc-c's field values out of an unpacked message.
@_spi(MessageRuntime) public enum CCopy {
    /// A string field whose bytes are not UTF-8, which proto3 forbids.
    public struct InvalidUTF8: Error {
        /// The field, fully qualified, e.g. `"workflow.v1.EntityRef.tag"`.
        public let field: String

        @inlinable
        public init(field: String) {
            self.field = field
        }
    }

    /// A string field; NULL and `""` become `""`.
    /// - Throws: ``InvalidUTF8`` naming `field` when the bytes are not UTF-8.
    @inlinable @inline(__always)
    @_spi(MessageRuntime) public static func string(_ cString: UnsafePointer<CChar>?, field: StaticString) throws(InvalidUTF8) -> String {
        guard let cString, cString.pointee != 0 else { return "" }
        guard let string = String(validatingCString: cString) else { throw InvalidUTF8(field: "\(field)") }
        return string
    }

    /// A `bytes` field (`len` bytes at `data`).
    @inlinable
    @_spi(MessageRuntime) public static func bytes(_ data: UnsafePointer<UInt8>?, count: Int) -> [UInt8] {
        guard let data, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    /// A repeated field (`n_*` values at a `T *`), each converted by `convert`.
    @inlinable
    @_spi(MessageRuntime) public static func array<C, T, Failure: Error>(
        _ values: UnsafePointer<C>?, count: Int, _ convert: (C) throws(Failure) -> T
    ) throws(Failure) -> [T] {
        guard let values, count > 0 else { return [] }
        var result: [T] = []
        result.reserveCapacity(count)
        for value in UnsafeBufferPointer(start: values, count: count) {
            result.append(try convert(value))
        }
        return result
    }

    /// A map field (a repeated `*Entry` message) as a dictionary; a key repeated on the wire
    /// keeps its last value, as protobuf requires.
    @inlinable
    @_spi(MessageRuntime) public static func map<Entry, Key: Hashable, Value, Failure: Error>(
        _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?,
        count: Int,
        _ keyValue: (Entry) throws(Failure) -> (Key, Value)
    ) throws(Failure) -> [Key: Value] {
        guard let entries, count > 0 else { return [:] }
        var result: [Key: Value] = .init(minimumCapacity: count)
        for index in 0..<count {
            guard let entry = entries[index] else { continue }
            let (key, value) = try keyValue(entry.pointee)
            result[key] = value
        }
        return result
    }
}

extension PackArena {
    /// A C copy of `value`, allocated and `*__init`ed in this arena.
    @inlinable
    @_spi(MessageRuntime) public mutating func message<T: CMessageCodec>(_ value: T) -> UnsafeMutableRawPointer {
        let message = allocate(byteCount: T.cMessageSize, alignment: T.cMessageAlignment)
        T.cInit(message)
        value.fill(message, arena: &self)
        return message
    }

    /// A C copy of an optional sub-message: `nil` becomes NULL (absent on the wire).
    @inlinable
    @_spi(MessageRuntime) public mutating func subMessage<T: CMessageCodec>(_ value: T?) -> UnsafeMutableRawPointer? {
        guard let value else { return nil }
        return message(value)
    }

    /// A `T **` array for a repeated sub-message field, unbound (the caller binds it to its
    /// pointer type); NULL when empty.
    @inlinable
    @_spi(MessageRuntime) public mutating func messages<T: CMessageCodec>(_ values: [T]) -> UnsafeMutableRawPointer? {
        guard !values.isEmpty else { return nil }
        let structs = allocate(byteCount: T.cMessageSize * values.count, alignment: T.cMessageAlignment)
        let pointerStride = MemoryLayout<UnsafeMutableRawPointer?>.stride
        let pointers = allocate(byteCount: pointerStride * values.count, alignment: MemoryLayout<UnsafeMutableRawPointer?>.alignment)
        // Through the buffer, each value is borrowed where it lies; a `for` loop would copy
        // it out first, retaining every reference it holds.
        values.withUnsafeBufferPointer { values in
            for index in values.indices {
                let message = structs + index * T.cMessageSize
                T.cInit(message)
                values[index].fill(message, arena: &self)
                pointers.storeBytes(of: message, toByteOffset: index * pointerStride, as: UnsafeMutableRawPointer?.self)
            }
        }
        return pointers
    }

    /// A C array of a repeated field, each value converted by `convert` (which may allocate
    /// what a value points to, strings and bytes, in this arena); NULL when empty.
    @inlinable
    @_spi(MessageRuntime) public mutating func array<T, C>(_ values: [T], _ convert: (T, inout PackArena) -> C) -> UnsafeMutablePointer<C>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(C.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: convert(value, &self))
        }
        return array
    }

    /// A `*Entry **` array for a map field, entries sorted by key so the encoding is
    /// deterministic; NULL when empty.
    ///
    /// - Parameters:
    ///   - map: The Swift dictionary.
    ///   - initialize: The entry's `*__init` function.
    ///   - fill: Stores a key and a value into an entry, allocating what they point to in the arena.
    @inlinable
    @_spi(MessageRuntime) public mutating func mapEntries<Entry, Key: Comparable, Value>(
        _ map: [Key: Value],
        initialize: (UnsafeMutablePointer<Entry>) -> Void,
        fill: (UnsafeMutablePointer<Entry>, Key, Value, inout PackArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        mapEntries(map, keyOrder: <, initialize: initialize, fill: fill)
    }

    /// A `*Entry **` array for a `map<bool, V>` field, `false` first.
    @inlinable
    @_spi(MessageRuntime) public mutating func mapEntries<Entry, Value>(
        _ map: [Bool: Value],
        initialize: (UnsafeMutablePointer<Entry>) -> Void,
        fill: (UnsafeMutablePointer<Entry>, Bool, Value, inout PackArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        mapEntries(map, keyOrder: { !$0 && $1 }, initialize: initialize, fill: fill)
    }

    @inlinable
    mutating func mapEntries<Entry, Key: Hashable, Value>(
        _ map: [Key: Value],
        keyOrder: (Key, Key) -> Bool,
        initialize: (UnsafeMutablePointer<Entry>) -> Void,
        fill: (UnsafeMutablePointer<Entry>, Key, Value, inout PackArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        guard let first = map.first else { return nil }
        let entries = allocate(Entry.self, count: map.count)
        let pointers = allocate(UnsafeMutablePointer<Entry>?.self, count: map.count)
        func store(_ key: Key, _ value: Value, at index: Int) {
            let entry = entries + index
            initialize(entry)
            fill(entry, key, value, &self)
            pointers[index] = entry
        }
        // One entry (a job's only counter, say) is stored without a sorted copy of the map.
        if map.count == 1 {
            store(first.key, first.value, at: 0)
        } else {
            for (index, element) in map.sorted(by: { keyOrder($0.key, $1.key) }).enumerated() {
                store(element.key, element.value, at: index)
            }
        }
        return pointers
    }
}
