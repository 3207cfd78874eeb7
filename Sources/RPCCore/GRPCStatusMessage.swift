/// The percent-encoding of the `grpc-message` trailer.
///
/// gRPC sends status messages as UTF-8 in which every byte outside printable ASCII
/// (0x20–0x7E), and `%` itself, is written as `%XX` with upper-case hex digits. Receivers
/// decode leniently: a `%` not followed by two hex digits stays as it is, and bytes that do not
/// form valid UTF-8 become U+FFFD, so a garbled message still reaches the user.
///
/// ```swift
/// GRPCStatusMessage.percentEncode("naïve 100%")   // "na%C3%AFve 100%25"
/// GRPCStatusMessage.percentDecode("na%C3%AFve 100%25") // "naïve 100%"
/// ```
package enum GRPCStatusMessage {
    /// Percent-encodes a status message for the `grpc-message` trailer.
    ///
    /// Returns `message` itself, without allocating, when nothing needs escaping.
    ///
    /// - Parameter message: The status message.
    /// - Returns: The message with every UTF-8 byte outside 0x20–0x7E, and every `%`, written
    ///   as `%XX`.
    package static func percentEncode(_ message: String) -> String {
        if let encoded = message.utf8.withContiguousStorageIfAvailable({ encode($0) }) {
            return encoded ?? message
        }
        return Array(message.utf8).withUnsafeBufferPointer { encode($0) } ?? message
    }

    /// Decodes a `grpc-message` value.
    ///
    /// Well-formed `%XX` escapes (either hex case) become bytes; any other `%` is kept
    /// literally; byte sequences that are not valid UTF-8 are replaced by U+FFFD.
    /// Returns `value` itself, without allocating, when it contains no `%`.
    ///
    /// - Parameter value: The received `grpc-message` value.
    /// - Returns: The status message.
    package static func percentDecode(_ value: String) -> String {
        if let decoded = value.utf8.withContiguousStorageIfAvailable({ decode($0) }) {
            return decoded ?? value
        }
        return Array(value.utf8).withUnsafeBufferPointer { decode($0) } ?? value
    }

    @inline(__always)
    private static func passesThrough(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%")
    }

    /// The encoded string, or nil when `bytes` need no escaping.
    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var escapes = 0
        for byte in bytes where !passesThrough(byte) {
            escapes += 1
        }
        if escapes == 0 { return nil }
        let capacity = bytes.count + 2 * escapes
        return String(unsafeUninitializedCapacity: capacity) { output in
            var out = 0
            for byte in bytes {
                if passesThrough(byte) {
                    output[out] = byte
                    out += 1
                } else {
                    output[out] = UInt8(ascii: "%")
                    output[out + 1] = hexDigit(byte >> 4)
                    output[out + 2] = hexDigit(byte & 0x0F)
                    out += 3
                }
            }
            return out
        }
    }

    /// The decoded string, or nil when `bytes` contain no `%`.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.contains(UInt8(ascii: "%")) else { return nil }
        // Decoding never lengthens the input.
        return String(unsafeUninitializedCapacity: bytes.count) { output in
            var out = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                   let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    output[out] = high << 4 | low
                    index += 3
                } else {
                    output[out] = byte
                    index += 1
                }
                out += 1
            }
            return out
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }

    /// The value of a hex digit of a percent-encoding, either case.
    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
