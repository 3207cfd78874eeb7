/// Appends values in the store's compact binary format: unsigned LEB128 varints, zigzag for
/// signed integers, length-prefixed UTF-8 strings, IEEE doubles as 8 little-endian bytes.
struct BinaryWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    /// Forgets what was written and keeps the capacity, to write the next record in place.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// The number of bytes written so far.
    var count: Int { bytes.count }

    /// Appends 4 bytes for a length not known yet, to set with ``setFixedUInt32(_:at:)``.
    /// - Returns: Where they are.
    mutating func reserveFixedUInt32() -> Int {
        let offset = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 4))
        return offset
    }

    /// Sets the 4 bytes at `offset` (from ``reserveFixedUInt32()``) to `value`, little-endian.
    mutating func setFixedUInt32(_ value: UInt32, at offset: Int) {
        for index in 0..<4 {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
        }
    }

    /// Appends bytes as they are: a record encoded before.
    mutating func write(raw: some Collection<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    mutating func write(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func write(_ value: Int64) {
        write(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func write(_ value: Int) {
        write(Int64(value))
    }

    mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    mutating func write(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            write(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes a string of `count` UTF-8 bytes that `initializeUTF8` puts at the address it is
    /// given, for a string kept in parts (see `StepID.copyUTF8(to:)`).
    mutating func writeString(utf8Count count: Int, _ initializeUTF8: (UnsafeMutableRawPointer) -> Void) {
        write(UInt64(count))
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { initializeUTF8($0.baseAddress! + start) }
    }

    /// Writes a presence flag, then `value` with `body` when present.
    mutating func write<T>(optional value: T?, _ body: (inout BinaryWriter, T) -> Void) {
        write(value != nil)
        if let value {
            body(&self, value)
        }
    }
}
