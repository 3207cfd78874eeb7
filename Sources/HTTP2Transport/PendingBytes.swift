/// Bytes waiting to be handed to nghttp2, taken from the front as its read callback asks.
///
/// A cursor over an array rather than `removeFirst`, so a large body is copied out once, not
/// shifted on every DATA frame. Both the server's response bodies and the client's request
/// bodies use it.
struct PendingBytes {
    private var bytes: [UInt8]
    private var offset = 0

    /// Pending bytes holding `bytes`, all of them not yet taken.
    init(_ bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    /// True once every byte was taken.
    var isEmpty: Bool { offset == bytes.count }

    /// How many bytes are left.
    var count: Int { bytes.count - offset }

    /// Moves as many bytes as fit into `buffer`, releasing the storage once all are taken.
    /// - Returns: How many bytes were copied.
    mutating func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, self.count)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        if offset == bytes.count {
            bytes = []
            offset = 0
        }
        return count
    }
}
