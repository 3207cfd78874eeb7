/// Writes gRPC length-prefixed messages.
///
/// Every gRPC message on the wire is a 5-byte prefix — a flag byte (0: not compressed) and
/// the message length as a 4-byte big-endian integer — followed by the message bytes.
/// The framer appends to a caller-owned buffer so that several messages can share one
/// allocation and one DATA frame.
///
/// ```swift
/// var out: [UInt8] = []
/// GRPCMessageFramer.frame(reply, into: &out)   // [0, 0, 0, 0, 3, r, e, p]
/// ```
package struct GRPCMessageFramer: Sendable {
    /// The length of the prefix in front of every message.
    package static let prefixLength = 5

    /// The largest message length the 4-byte prefix can express.
    package static let maxMessageLength = Int(UInt32.max)

    /// Appends a message with its prefix to `buffer`.
    ///
    /// - Parameters:
    ///   - message: The serialized message; at most ``maxMessageLength`` bytes.
    ///   - buffer: The buffer to append to; grown once to fit prefix and message.
    @inlinable
    package static func frame(_ message: some Collection<UInt8>, into buffer: inout [UInt8]) {
        let length = message.count
        reserve(prefixLength + length, in: &buffer)
        appendPrefix(length: length, into: &buffer)
        buffer.append(contentsOf: message)
    }

    /// Appends a message, given as raw bytes, with its prefix to `buffer`.
    ///
    /// - Parameters:
    ///   - message: The serialized message; at most ``maxMessageLength`` bytes.
    ///   - buffer: The buffer to append to; grown once to fit prefix and message.
    @inlinable
    package static func frame(_ message: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        let length = message.count
        reserve(prefixLength + length, in: &buffer)
        appendPrefix(length: length, into: &buffer)
        buffer.append(contentsOf: message)
    }

    /// Makes room for `extra` more bytes, growing geometrically so that repeated appends to
    /// one buffer stay linear (a plain `reserveCapacity` would reallocate every time).
    @inlinable
    static func reserve(_ extra: Int, in buffer: inout [UInt8]) {
        let needed = buffer.count + extra
        if needed > buffer.capacity {
            buffer.reserveCapacity(Swift.max(needed, buffer.capacity &* 2))
        }
    }

    /// Appends only the 5-byte prefix of an uncompressed message of `length` bytes.
    ///
    /// For callers that write the message bytes themselves, for example by serializing
    /// straight into the buffer after the prefix.
    ///
    /// - Parameters:
    ///   - length: The length of the message that follows; at most ``maxMessageLength``.
    ///   - buffer: The buffer to append to.
    @inlinable
    package static func appendPrefix(length: Int, into buffer: inout [UInt8]) {
        precondition(length >= 0 && length <= maxMessageLength, "gRPC message length out of range: \(length)")
        let length = UInt32(truncatingIfNeeded: length)
        buffer.append(0)
        buffer.append(UInt8(truncatingIfNeeded: length >> 24))
        buffer.append(UInt8(truncatingIfNeeded: length >> 16))
        buffer.append(UInt8(truncatingIfNeeded: length >> 8))
        buffer.append(UInt8(truncatingIfNeeded: length))
    }
}
