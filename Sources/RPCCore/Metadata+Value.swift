extension Metadata {
    /// A metadata value: text, or bytes for keys ending in `-bin`.
    ///
    /// On the wire, binary values are base64-encoded; ``Metadata`` decodes them on receipt and
    /// encodes them when building response headers.
    package enum Value: Sendable, Hashable {
        /// A text value, sent as it is. It must be a valid HTTP/2 header value (printable
        /// ASCII and spaces, no leading or trailing whitespace).
        case string(String)

        /// A binary value, sent base64-encoded under a key ending in `-bin`.
        case binary([UInt8])
    }
}

extension Metadata.Value: ExpressibleByStringLiteral {
    /// Creates a ``string(_:)`` value from a literal.
    package init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension Metadata.Value: CustomStringConvertible {
    /// The text of a string value, or `<N bytes>` for a binary value.
    package var description: String {
        switch self {
        case .string(let string): string
        case .binary(let bytes): "<\(bytes.count) bytes>"
        }
    }
}
