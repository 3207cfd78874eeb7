/// Byte-level helpers for header names and values, so that scanning never builds Strings.
enum ASCII {
    /// Calls `body` with the UTF-8 bytes of `s`, without copying them when `s` is native.
    @inline(__always)
    static func withBytes<R>(_ s: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = s.utf8.withContiguousStorageIfAvailable(body) {
            return result
        }
        return Array(s.utf8).withUnsafeBufferPointer(body)
    }

    /// `s` lowercased as ASCII; returns `s` itself, without allocating, when it has no
    /// upper-case ASCII letter (HTTP/2 names always are lowercase).
    static func lowercased(_ s: String) -> String {
        let hasUppercase = withBytes(s) { bytes in
            bytes.contains { $0 &- UInt8(ascii: "A") < 26 }
        }
        return hasUppercase ? s.lowercased() : s
    }

    /// Whether `bytes` are exactly the bytes of `literal`.
    @inline(__always)
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let expected = literal.utf8Start
        for index in 0..<count where bytes[index] != expected[index] {
            return false
        }
        return true
    }

    /// Whether `bytes` start with `lowercasePrefix`, ignoring ASCII case; `lowercasePrefix`
    /// must be lowercase.
    static func hasPrefixIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercasePrefix: StaticString) -> Bool {
        let count = lowercasePrefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let prefix = lowercasePrefix.utf8Start
        for index in 0..<count where lower(bytes[index]) != prefix[index] {
            return false
        }
        return true
    }

    /// Whether `s` equals `lowercaseLiteral` ignoring ASCII case; `lowercaseLiteral` must be
    /// lowercase.
    static func equalsIgnoringCase(_ s: String, _ lowercaseLiteral: StaticString) -> Bool {
        withBytes(s) { bytes in
            bytes.count == lowercaseLiteral.utf8CodeUnitCount && hasPrefixIgnoringCase(bytes, lowercaseLiteral)
        }
    }

    /// Whether `s` ends with the ASCII `suffix`, compared exactly.
    static func hasSuffix(_ s: String, _ suffix: StaticString) -> Bool {
        withBytes(s) { bytes in
            let count = suffix.utf8CodeUnitCount
            return bytes.count >= count
                && equals(UnsafeBufferPointer(rebasing: bytes[(bytes.count - count)...]), suffix)
        }
    }

    /// The byte lowercased if it is an upper-case ASCII letter.
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
