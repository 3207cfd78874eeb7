/// A reference to a domain entity that a console can link to, e.g. tag `P-101` at route
/// `/assets/123`.
///
/// Every field is optional; an empty string means "not given".
///
/// ```swift
/// let asset = EntityReference(tag: "P-101", route: "/assets/123", id: "123", type: "Asset")
/// ```
public struct EntityReference: Sendable, Hashable {
    /// A short human-readable label, e.g. `P-101`.
    public var tag: String
    /// Where a console navigates to show the entity, e.g. `/assets/123`.
    public var route: String
    /// The entity's identifier in its own system, e.g. `123`.
    public var id: String
    /// The kind of entity, e.g. `Asset`.
    public var type: String

    /// Creates a reference; omitted fields are empty.
    public init(tag: String = "", route: String = "", id: String = "", type: String = "") {
        self.tag = tag
        self.route = route
        self.id = id
        self.type = type
    }

    /// Whether no field is set.
    public var isEmpty: Bool {
        tag.isEmpty && route.isEmpty && id.isEmpty && type.isEmpty
    }
}
