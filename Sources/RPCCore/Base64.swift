/// The standard base64 alphabet (RFC 4648 §4) as gRPC uses it for `-bin` metadata values.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Maps a byte to its 6-bit value, or 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// Encodes `bytes` without padding, as gRPC recommends for values it sends.
    static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        let fullGroups = bytes.count / 3
        let remainder = bytes.count % 3
        let length = fullGroups * 4 + (remainder == 0 ? 0 : remainder + 1)
        if length == 0 { return "" }
        return alphabet.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: length) { output in
                var out = 0
                var index = 0
                for _ in 0..<fullGroups {
                    let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    output[out] = alphabet[Int(group >> 18)]
                    output[out + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    output[out + 2] = alphabet[Int(group >> 6 & 0x3F)]
                    output[out + 3] = alphabet[Int(group & 0x3F)]
                    index += 3
                    out += 4
                }
                if remainder == 1 {
                    let group = UInt32(bytes[index]) << 16
                    output[out] = alphabet[Int(group >> 18)]
                    output[out + 1] = alphabet[Int(group >> 12 & 0x3F)]
                } else if remainder == 2 {
                    let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                    output[out] = alphabet[Int(group >> 18)]
                    output[out + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    output[out + 2] = alphabet[Int(group >> 6 & 0x3F)]
                }
                return length
            }
        }
    }

    /// Decodes standard base64, padded or unpadded.
    ///
    /// Accepts complete 4-character groups and a final group of 2 or 3 characters, either
    /// unpadded or padded with `=` to 4 characters. Rejects any other character (whitespace and
    /// the URL-safe alphabet included), misplaced padding and a final group of 1 character.
    /// Leftover bits of a final group are ignored, as Go's decoder (used by grpc-go) does.
    ///
    /// - Returns: The bytes, or nil if `text` is not valid base64.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var count = text.count
        if count == 0 { return [] }
        // Padding only completes a 4-character group: at most two `=` at the end.
        if count % 4 == 0 {
            if text[count - 1] == UInt8(ascii: "=") { count -= 1 }
            if text[count - 1] == UInt8(ascii: "=") { count -= 1 }
        }
        let remainder = count % 4
        if remainder == 1 { return nil }
        let length = count / 4 * 3 + (remainder == 0 ? 0 : remainder - 1)
        return values.withUnsafeBufferPointer { values -> [UInt8]? in
            var valid = true
            let bytes = [UInt8](unsafeUninitializedCapacity: length) { output, initialized in
                var group: UInt32 = 0
                var out = 0
                var index = 0
                while index + 4 <= count {
                    let a = values[Int(text[index])], b = values[Int(text[index + 1])]
                    let c = values[Int(text[index + 2])], d = values[Int(text[index + 3])]
                    guard (a | b | c | d) & 0xC0 == 0 else { valid = false; return }
                    group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[out] = UInt8(truncatingIfNeeded: group >> 16)
                    output[out + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[out + 2] = UInt8(truncatingIfNeeded: group)
                    out += 3
                    index += 4
                }
                if remainder >= 2 {
                    let a = values[Int(text[index])], b = values[Int(text[index + 1])]
                    let c = remainder == 3 ? values[Int(text[index + 2])] : 0
                    guard (a | b | c) & 0xC0 == 0 else { valid = false; return }
                    group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                    output[out] = UInt8(truncatingIfNeeded: group >> 16)
                    out += 1
                    if remainder == 3 {
                        output[out] = UInt8(truncatingIfNeeded: group >> 8)
                        out += 1
                    }
                }
                initialized = out
            }
            return valid ? bytes : nil
        }
    }
}
