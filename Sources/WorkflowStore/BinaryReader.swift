/// Reads what ``BinaryWriter`` wrote; every read checks the bounds and throws on malformed input.
struct BinaryReader {
    private let bytes: [UInt8]
    private var offset: Int
    /// Where the record read ends: the end of `bytes`, or of one record among several.
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, in: 0..<bytes.count)
    }

    /// Reads the record `range` of `bytes` holds (a range of a chunk of records).
    init(_ bytes: [UInt8], in range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a record's range lies within its bytes")
        self.bytes = bytes
        offset = range.lowerBound
        end = range.upperBound
    }

    /// Thrown for truncated or malformed data.
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "malformed stored record" }
    }

    /// Whether every byte was read: a record written before a field was appended ends there.
    var isAtEnd: Bool {
        offset == end
    }

    mutating func readUInt64() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end, shift < 64 else { throw Malformed() }
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
        guard offset < end else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset] != 0
    }

    mutating func readDouble() throws -> Double {
        guard offset + 8 <= end else { throw Malformed() }
        var bits: UInt64 = 0
        for index in 0..<8 {
            bits |= UInt64(bytes[offset + index]) << UInt64(8 * index)
        }
        offset += 8
        return Double(bitPattern: bits)
    }

    mutating func readString() throws -> String {
        let count = try readUInt64()
        guard count <= UInt64(end - offset) else { throw Malformed() }
        let stringEnd = offset + Int(count)
        defer { offset = stringEnd }
        return String(decoding: bytes[offset..<stringEnd], as: UTF8.self)
    }

    /// Reads a string's UTF-8 without making a `String` of it.
    mutating func readStringUTF8() throws -> ArraySlice<UInt8> {
        let count = try readUInt64()
        guard count <= UInt64(end - offset) else { throw Malformed() }
        let start = offset
        offset += Int(count)
        return bytes[start..<offset]
    }

    /// Reads a string and tells whether its UTF-8 is `utf8`, without making a `String` of it.
    mutating func readString(equals utf8: [UInt8]) throws -> Bool {
        try readStringUTF8().elementsEqual(utf8)
    }

    /// Reads 4 bytes written by ``BinaryWriter/setFixedUInt32(_:at:)``, little-endian.
    mutating func readFixedUInt32() throws -> UInt32 {
        guard end - offset >= 4 else { throw Malformed() }
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// The offset of the next byte to read in the bytes given.
    var position: Int { offset }

    /// Moves past `count` bytes.
    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= end - offset else { throw Malformed() }
        offset += count
    }

    /// Moves past a string without reading it into one.
    mutating func skipString() throws {
        let count = try readUInt64()
        guard count <= UInt64(end - offset) else { throw Malformed() }
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
