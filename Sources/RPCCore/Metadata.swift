import HeaderFields

/// Custom metadata of a call: ordered (name, value) pairs, like HTTP headers.
///
/// Names are lowercase (they are lowercased when added and compared without regard to ASCII
/// case when looked up) and may repeat. Names ending in `-bin` carry binary values, which
/// travel base64-encoded.
///
/// Metadata excludes the headers that gRPC and HTTP/2 use themselves: pseudo-headers
/// (`:path`…), `content-type`, `te`, `grpc-timeout`, `grpc-encoding`, `grpc-accept-encoding`,
/// `grpc-message-type`, `grpc-status`, `grpc-message`, and HTTP/1 connection headers. Request
/// parsing leaves them out and ``appendHeaderFields(to:)`` skips them. `user-agent` and
/// application headers such as `authorization` stay metadata, as in gRPC.
///
/// ```swift
/// var metadata: Metadata = ["x-request-id": "42"]
/// metadata.addBinary([0xCA, 0xFE], forKey: "trace-bin")
/// metadata.firstString(forKey: "X-Request-ID")   // "42"
/// ```
package struct Metadata: Sendable, Hashable {
    /// One stored pair; the name is lowercase.
    fileprivate struct Entry: Sendable, Hashable {
        var name: String
        var value: Value
    }

    private var entries: [Entry]

    /// Creates empty metadata.
    package init() {
        entries = []
    }

    /// The number of (name, value) pairs.
    package var count: Int { entries.count }

    /// Whether there are no pairs.
    package var isEmpty: Bool { entries.isEmpty }

    /// Appends a pair.
    ///
    /// - Parameters:
    ///   - value: The value.
    ///   - key: The name; lowercased.
    package mutating func add(_ value: Value, forKey key: String) {
        entries.append(Entry(name: ASCII.lowercased(key), value: value))
    }

    /// Appends a text value.
    ///
    /// - Parameters:
    ///   - value: A valid HTTP/2 header value. Under a `-bin` key it is sent as it is, so it
    ///     must already be base64.
    ///   - key: The name; lowercased.
    package mutating func addString(_ value: String, forKey key: String) {
        add(.string(value), forKey: key)
    }

    /// Appends a binary value.
    ///
    /// - Parameters:
    ///   - value: The bytes; sent base64-encoded.
    ///   - key: The name; lowercased. It should end in `-bin`, or the receiver sees the
    ///     base64 text instead of the bytes.
    package mutating func addBinary(_ value: [UInt8], forKey key: String) {
        add(.binary(value), forKey: key)
    }

    /// Removes every pair with the given name.
    ///
    /// - Parameter key: The name, compared without regard to ASCII case.
    package mutating func removeAllValues(forKey key: String) {
        entries.removeAll { Self.name($0.name, matches: key) }
    }

    /// All values for a name, in order.
    ///
    /// - Parameter key: The name, compared without regard to ASCII case.
    package subscript(key: String) -> [Value] {
        entries.compactMap { Self.name($0.name, matches: key) ? $0.value : nil }
    }

    /// The text values for a name, in order; binary values are left out.
    ///
    /// - Parameter key: The name, compared without regard to ASCII case.
    package subscript(stringValues key: String) -> [String] {
        entries.compactMap { entry in
            guard Self.name(entry.name, matches: key), case .string(let string) = entry.value else { return nil }
            return string
        }
    }

    /// The binary values for a name, in order; text values are left out.
    ///
    /// - Parameter key: The name, compared without regard to ASCII case.
    package subscript(binaryValues key: String) -> [[UInt8]] {
        entries.compactMap { entry in
            guard Self.name(entry.name, matches: key), case .binary(let bytes) = entry.value else { return nil }
            return bytes
        }
    }

    /// The first text value for a name, without building an array.
    ///
    /// - Parameter key: The name, compared without regard to ASCII case.
    /// - Returns: The first value that is text, or nil.
    package func firstString(forKey key: String) -> String? {
        for entry in entries where Self.name(entry.name, matches: key) {
            if case .string(let string) = entry.value { return string }
        }
        return nil
    }

    /// Appends the pairs as HTTP/2 header fields, for response headers or trailers.
    ///
    /// Binary values are base64-encoded without padding, as gRPC recommends. Pairs whose name
    /// is reserved (see the type's discussion) are skipped, as grpc-go does, so that a handler
    /// cannot corrupt the response's protocol headers.
    ///
    /// - Parameter fields: The header list to append to.
    package func appendHeaderFields(to fields: inout [HeaderField]) {
        for entry in entries where !Self.isReserved(entry.name) {
            switch entry.value {
            case .string(let string):
                fields.append(HeaderField(name: entry.name, value: string))
            case .binary(let bytes):
                fields.append(HeaderField(name: entry.name, value: Base64.encodeUnpadded(bytes)))
            }
        }
    }

    /// Adds a received request header that is not reserved.
    ///
    /// A `-bin` header's value is base64, padded or not; several values may be joined with
    /// commas (as proxies do), and each becomes its own pair.
    ///
    /// - Throws: INTERNAL for a `-bin` value that is not valid base64, as grpc-go answers.
    mutating func addReceivedHeader(name: String, value: String) throws(RPCStatus) {
        let name = ASCII.lowercased(name)
        if entries.capacity == 0 {
            entries.reserveCapacity(Self.usualReceivedCount)
        }
        guard ASCII.hasSuffix(name, "-bin") else {
            entries.append(Entry(name: name, value: .string(value)))
            return
        }
        var value = value
        let decodedAll: Bool = value.withUTF8 { bytes in
            var start = 0
            while true {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                guard let decoded = Base64.decode(UnsafeBufferPointer(rebasing: bytes[start..<end])) else {
                    return false
                }
                entries.append(Entry(name: name, value: .binary(decoded)))
                if end == bytes.count { return true }
                start = end + 1
            }
        }
        if !decodedAll {
            throw RPCStatus(code: .internalError, message: "malformed binary metadata in header '\(name)': invalid base64")
        }
    }

    /// Room for the metadata a client usually sends (`user-agent`, `accept-encoding`,
    /// `authorization`), reserved with the first of it rather than grown into.
    private static let usualReceivedCount = 4

    /// Whether a header name is used by gRPC or HTTP/2 itself and so is never metadata.
    ///
    /// - Parameter name: A lowercase header name.
    static func isReserved(_ name: String) -> Bool {
        RequestHeaderName.classify(name) != .custom
    }

    /// Whether a stored (lowercase) name equals a key given in any ASCII case.
    private static func name(_ stored: String, matches key: String) -> Bool {
        if stored == key { return true }
        let storedBytes = stored.utf8, keyBytes = key.utf8
        guard storedBytes.count == keyBytes.count else { return false }
        return storedBytes.elementsEqual(keyBytes.lazy.map(ASCII.lower))
    }
}

extension Metadata: Sequence {
    /// A pair: the lowercase name and its value.
    package typealias Element = (name: String, value: Value)

    /// Iterates over the pairs in order.
    package struct Iterator: IteratorProtocol, Sendable {
        private var base: IndexingIterator<[Entry]>

        fileprivate init(_ entries: [Entry]) {
            base = entries.makeIterator()
        }

        /// The next pair, or nil after the last.
        package mutating func next() -> Element? {
            base.next().map { ($0.name, $0.value) }
        }
    }

    /// Returns an iterator over the pairs in order.
    package func makeIterator() -> Iterator {
        Iterator(entries)
    }

    /// The number of pairs.
    package var underestimatedCount: Int { entries.count }
}

extension Metadata: ExpressibleByDictionaryLiteral {
    /// Creates metadata from literal pairs, keeping their order.
    package init(dictionaryLiteral elements: (String, Value)...) {
        self.init()
        entries.reserveCapacity(elements.count)
        for (key, value) in elements {
            add(value, forKey: key)
        }
    }
}
