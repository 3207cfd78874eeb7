#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// For generated code, and `WorkflowTreePacking`, which fills the same C structs by hand (SPI,
/// see ``CMessageCodec``): memory for one C message tree while protoc-c packs or unpacks it:
/// every string, array and sub-message that the tree points to.
///
/// A bump allocator. The first chunk is caller-provided stack memory (see ``with(_:)``), so
/// small messages pack and unpack without touching the heap; larger trees spill into
/// `malloc`ed chunks that grow geometrically. Everything is released together: the arena's
/// `deinit` frees the heap chunks, and the stack chunk ends with the scope that created it.
/// Nothing allocated here may outlive the `with(_:)` call.
@_spi(MessageRuntime) public struct PackArena: ~Copyable {
    /// Stack space for the first chunk: fits a typical `LogEvent` or a small `Workflow`.
    @usableFromInline static let stackBytes = 1024
    /// Alignment of every chunk; the C structs need at most 8.
    @usableFromInline static let chunkAlignment = 16
    /// Bytes at the start of each heap chunk that link it to the previous one.
    @usableFromInline static let headerBytes = 16

    /// The next free byte of the current chunk.
    @usableFromInline var cursor: UnsafeMutableRawPointer
    /// One past the last byte of the current chunk.
    @usableFromInline var end: UnsafeMutableRawPointer
    /// The most recent heap chunk; each chunk's header points to the one before. Owned.
    @usableFromInline var heapChunks: UnsafeMutableRawPointer?
    /// The size of the next heap chunk.
    @usableFromInline var nextChunkBytes: Int
    /// A shared `""` for empty strings (allocated on first use).
    @usableFromInline var emptyString: UnsafeMutablePointer<CChar>?

    /// Runs `body` with an arena whose memory lives until `body` returns.
    @inlinable
    @_spi(MessageRuntime) public static func with<R>(_ body: (inout PackArena) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: stackBytes, alignment: chunkAlignment) { stack in
            var arena = PackArena(borrowing: stack)
            return body(&arena)
        }
    }

    /// Creates an arena that bump-allocates from `buffer` first; the caller keeps ownership of
    /// `buffer` and must keep it alive as long as the arena.
    @inlinable
    init(borrowing buffer: UnsafeMutableRawBufferPointer) {
        cursor = buffer.baseAddress!
        end = buffer.baseAddress! + buffer.count
        heapChunks = nil
        nextChunkBytes = 4 * buffer.count
    }

    deinit {
        var chunk = heapChunks
        while let current = chunk {
            chunk = current.load(as: UnsafeMutableRawPointer?.self)
            free(current)
        }
    }

    /// Returns `byteCount` uninitialized bytes aligned to `alignment` (a power of two ≤ 16).
    @inlinable
    @_spi(MessageRuntime) public mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        guard let bytes = allocateUnlessOutOfMemory(byteCount: byteCount, alignment: alignment) else {
            fatalError("out of memory packing a protobuf message (\(byteCount) bytes)")
        }
        return bytes
    }

    /// ``allocate(byteCount:alignment:)``, or `nil` when `malloc` fails for a new chunk.
    @inlinable
    @usableFromInline mutating func allocateUnlessOutOfMemory(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let mask = UInt(alignment - 1)
        let aligned = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: cursor) + mask) & ~mask)!
        if byteCount <= end - aligned {
            cursor = aligned + byteCount
            return aligned
        }
        // A new chunk large enough for this request; Self.headerBytes keeps 16-byte alignment.
        let usable = max(nextChunkBytes, byteCount)
        guard let chunk = malloc(Self.headerBytes + usable) else { return nil }
        nextChunkBytes = min(2 * nextChunkBytes, 1 << 24)
        chunk.storeBytes(of: heapChunks, as: UnsafeMutableRawPointer?.self)
        heapChunks = chunk
        let start = chunk + Self.headerBytes
        cursor = start + byteCount
        end = start + usable
        return start
    }

    /// Returns uninitialized memory for `count` values of `T`, bound to `T`.
    @inlinable
    @_spi(MessageRuntime) public mutating func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    /// Copies `string` as a NUL-terminated UTF-8 C string. An embedded NUL ends it early, as
    /// protoc-c's `char *` fields cannot say otherwise.
    @inlinable
    @_spi(MessageRuntime) public mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        if string.isEmpty {
            if let emptyString { return emptyString }
            let empty = allocate(CChar.self)
            empty.initialize(to: 0)
            emptyString = empty
            return empty
        }
        let utf8 = string.utf8
        let count = utf8.count
        return cString(utf8Count: count) { raw in
            let copied: Void? = utf8.withContiguousStorageIfAvailable { source in
                raw.copyMemory(from: source.baseAddress!, byteCount: count)
            }
            if copied == nil {
                _ = UnsafeMutableRawBufferPointer(start: raw, count: count).initializeMemory(as: UInt8.self, from: utf8)
            }
        }
    }

    /// A NUL-terminated C string of `count` UTF-8 bytes that `initializeUTF8` writes at the
    /// address it is given: for a string kept in parts, copied without being built first.
    @inlinable
    @_spi(MessageRuntime) public mutating func cString(
        utf8Count count: Int, _ initializeUTF8: (UnsafeMutableRawPointer) -> Void
    ) -> UnsafeMutablePointer<CChar> {
        let raw = allocate(byteCount: count + 1, alignment: 1)
        initializeUTF8(raw)
        raw.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
        return raw.bindMemory(to: CChar.self, capacity: count + 1)
    }

    /// Copies the bytes of a `bytes` field; NULL when empty (protoc-c then reads no byte).
    @inlinable
    @_spi(MessageRuntime) public mutating func bytes(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8>? {
        guard !bytes.isEmpty else { return nil }
        let copy = allocate(UInt8.self, count: bytes.count)
        copy.initialize(from: bytes, count: bytes.count)
        return copy
    }
}

/// For generated code (SPI, see ``CMessageCodec``): an unpack into a ``PackArena``, the
/// `allocator_data` of the `ProtobufCAllocator` that ``allocate(byteCount:in:)`` serves.
///
/// protoc-c frees what it replaces as it decodes (a sub-message that appears twice is merged
/// into new arrays), and an arena frees nothing until it goes: so that such input cannot make
/// an arena hold far more than a decode needs, an unpack has a budget, and past it (or when
/// `malloc` fails) the allocator returns NULL, protoc-c gives up, and the caller decodes again
/// with `malloc` and `free`.
@_spi(MessageRuntime) public struct ArenaUnpack: ~Copyable {
    @usableFromInline let arena: UnsafeMutablePointer<PackArena>
    @usableFromInline var remainingBytes: Int
    /// Whether an allocation was refused for the budget or `malloc`.
    @usableFromInline var refused = false

    /// The bytes an unpack of `inputBytes` may take: more than C structs, strings and arrays
    /// take for any usual message (a few times the input), less than merges of repeated
    /// sub-messages would make an arena hold.
    @inlinable
    @usableFromInline static func budget(forInputBytes inputBytes: Int) -> Int {
        64 << 10 + 16 * inputBytes
    }

    @inlinable
    @usableFromInline init(into arena: UnsafeMutablePointer<PackArena>, inputBytes: Int) {
        self.arena = arena
        remainingBytes = Self.budget(forInputBytes: inputBytes)
    }

    /// Runs `body` with an unpack of `inputBytes` into a new arena, both alive until it returns.
    @inlinable
    @_spi(MessageRuntime) public static func with<R>(inputBytes: Int, _ body: (UnsafeMutablePointer<ArenaUnpack>) -> R) -> R {
        PackArena.with { arena in
            withUnsafeMutablePointer(to: &arena) { arena in
                var unpack = ArenaUnpack(into: arena, inputBytes: inputBytes)
                return withUnsafeMutablePointer(to: &unpack, body)
            }
        }
    }

    /// protoc-c's `ProtobufCAllocator.alloc` for the unpack that `unpack` points to; its `free`
    /// does nothing, as the tree goes with the arena.
    ///
    /// ```swift
    /// var allocator = ProtobufCAllocator(
    ///     alloc: { ArenaUnpack.allocate(byteCount: $1, in: $0) }, free: { _, _ in }, allocator_data: unpack
    /// )
    /// ```
    @inlinable
    @_spi(MessageRuntime) public static func allocate(byteCount: Int, in unpack: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        let unpack = unpack!.assumingMemoryBound(to: ArenaUnpack.self)
        guard byteCount <= unpack.pointee.remainingBytes,
              let bytes = unpack.pointee.arena.pointee.allocateUnlessOutOfMemory(byteCount: byteCount, alignment: PackArena.chunkAlignment)
        else {
            unpack.pointee.refused = true
            return nil
        }
        unpack.pointee.remainingBytes -= byteCount
        return bytes
    }
}
