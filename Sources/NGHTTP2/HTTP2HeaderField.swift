/// One field of an HTTP/2 header block. Names are lowercase, as HTTP/2 requires.
public struct HTTP2HeaderField: Sendable, Hashable {
    /// The field name, such as `:path` or `content-type`.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
