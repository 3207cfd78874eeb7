import RPCCore

extension GRPCMessageDeframer {
    /// Appends bytes from an array.
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends bytes from a slice.
    mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Returns every complete message buffered now.
    mutating func drain() throws(RPCStatus) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while let message = try next() {
            messages.append(message)
        }
        return messages
    }
}

/// The wire form of `messages`: each with its 5-byte prefix.
func framed(_ messages: [[UInt8]]) -> [UInt8] {
    var buffer: [UInt8] = []
    for message in messages {
        GRPCMessageFramer.frame(message, into: &buffer)
    }
    return buffer
}

/// A 5-byte prefix with any flag and length.
func prefix(flag: UInt8 = 0, length: UInt32) -> [UInt8] {
    [flag, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
}
