/// One HTTP/2 header field: a name and a value.
///
/// Names are lowercase, as HTTP/2 requires; pseudo-header names start with `:`.
/// The RPC core reads request headers and builds response headers in this form; the transport
/// converts it to and from its HTTP/2 library's representation.
public struct HeaderField: Sendable, Hashable {
    /// The field name, such as `:path` or `content-type`.
    public var name: String

    /// The field value.
    public var value: String

    /// Creates a header field.
    ///
    /// - Parameters:
    ///   - name: The field name; lowercase.
    ///   - value: The field value.
    @inlinable
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension HeaderField: CustomStringConvertible {
    /// `name: value`.
    public var description: String { "\(name): \(value)" }
}
