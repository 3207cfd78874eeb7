/// Reads what ``BinaryWriter`` wrote; every read checks the bounds and throws on malformed input.
struct BinaryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Thrown for truncated or malformed data.
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "malformed stored record" }
    }

    /// Whether every byte was read: a record written before a field was appended ends there.
    var isAtEnd: Bool {
        offset == bytes.count
    }

    mutating func readUInt64() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Malformed() }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readInt64() throws -> Int64 {
        let raw = try readUInt64()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func readInt() throws -> Int {
        Int(try readInt64())
    }

    mutating func readBool() throws -> Bool {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset] != 0
    }

    mutating func readDouble() throws -> Double {
        guard offset + 8 <= bytes.count else { throw Malformed() }
        var bits: UInt64 = 0
        for index in 0..<8 {
            bits |= UInt64(bytes[offset + index]) << UInt64(8 * index)
        }
        offset += 8
        return Double(bitPattern: bits)
    }

    mutating func readString() throws -> String {
        let count = try readUInt64()
        guard count <= UInt64(bytes.count - offset) else { throw Malformed() }
        let end = offset + Int(count)
        defer { offset = end }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// Moves past a string without reading it into one.
    mutating func skipString() throws {
        let count = try readUInt64()
        guard count <= UInt64(bytes.count - offset) else { throw Malformed() }
        offset += Int(count)
    }

    /// Reads a presence flag, then the value with `body` when present.
    mutating func readOptional<T>(_ body: (inout BinaryReader) throws -> T) throws -> T? {
        try readBool() ? try body(&self) : nil
    }

    /// A case of an enum written as its ``StoreCoded/storeCode``.
    ///
    /// - Throws: ``Malformed`` for truncated data; ``UnknownStoreCode`` for a code no case has.
    mutating func read<T: StoreCoded>(_ type: T.Type) throws -> T {
        try T(storeCode: readUInt64())
    }
}
