/// One HTTP/2 header field: a name and a value.
///
/// Names are lowercase, as HTTP/2 requires; pseudo-header names start with `:`.
/// The HTTP/2 wrapper (`NGHTTP2`) delivers and submits header blocks in this form and the RPC
/// core (`RPCCore`) reads request headers and builds response headers in it, so the transport
/// hands a block from one to the other as it is. It lives in a target of its own, below both,
/// so that neither depends on the other.
///
/// ```swift
/// let fields = [HeaderField(name: ":status", value: "200"), HeaderField(name: "content-type", value: "application/grpc")]
/// ```
package struct HeaderField: Sendable, Hashable {
    /// The field name, such as `:path` or `content-type`.
    package var name: String

    /// The field value.
    package var value: String

    /// Creates a header field.
    ///
    /// - Parameters:
    ///   - name: The field name; lowercase.
    ///   - value: The field value.
    @inlinable
    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension HeaderField: CustomStringConvertible {
    /// `name: value`.
    package var description: String { "\(name): \(value)" }
}
