/// Reads the fields of one serialized protobuf message, without a schema: just enough wire
/// format (varints, length-delimited fields, fixed 32/64-bit) to walk descriptor protos.
package struct ProtoWireReader {
    /// A field's value as the wire carries it.
    package enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed
    }

    /// Why bytes are not a well-formed protobuf message.
    package struct MalformedMessage: Error, Equatable {
        /// Where reading stopped, in bytes from the message start.
        package var offset: Int

        /// Malformed at `offset` bytes from the message start.
        package init(offset: Int) {
            self.offset = offset
        }
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    /// Reads `bytes` from their start.
    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// The next field number and value, or nil at the end.
    /// - Throws: `MalformedMessage` for a truncated field, an over-long varint, field number 0
    ///   or an unknown (or group) wire type.
    package mutating func next() throws(MalformedMessage) -> (field: Int, value: Value)? {
        guard index < bytes.endIndex else { return nil }
        let key = try varint()
        let field = key >> 3
        guard field > 0, field <= 0x1FFF_FFFF else { throw MalformedMessage(offset: index - bytes.startIndex) }
        switch key & 7 {
        case 0:
            return (Int(field), .varint(try varint()))
        case 1:
            try skip(8)
            return (Int(field), .fixed)
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - index) else { throw MalformedMessage(offset: index - bytes.startIndex) }
            let start = index
            index += Int(length)
            return (Int(field), .bytes(bytes[start..<index]))
        case 5:
            try skip(4)
            return (Int(field), .fixed)
        default:
            throw MalformedMessage(offset: index - bytes.startIndex)
        }
    }

    /// The values of a packed repeated varint field (`[packed = true]`, proto3's default for
    /// scalars): varints back to back, with no keys.
    /// - Throws: `MalformedMessage` for a truncated or over-long varint.
    package static func packedVarints(_ bytes: ArraySlice<UInt8>) throws(MalformedMessage) -> [UInt64] {
        var reader = ProtoWireReader(bytes)
        var values: [UInt64] = []
        while reader.index < reader.bytes.endIndex {
            values.append(try reader.varint())
        }
        return values
    }

    private mutating func varint() throws(MalformedMessage) -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard index < bytes.endIndex else { throw MalformedMessage(offset: index - bytes.startIndex) }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return result }
        }
        throw MalformedMessage(offset: index - bytes.startIndex)
    }

    private mutating func skip(_ count: Int) throws(MalformedMessage) {
        guard bytes.endIndex - index >= count else { throw MalformedMessage(offset: index - bytes.startIndex) }
        index += count
    }
}
