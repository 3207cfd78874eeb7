/// A reference to a domain entity that a console can link to, e.g. tag `P-101` at route
/// `/assets/123`.
///
/// Every field is optional; an empty string means "not given".
///
/// ```swift
/// let asset = EntityReference(tag: "P-101", route: "/assets/123", id: "123", type: "Asset")
/// ```
public struct EntityReference: Sendable, Hashable {
    /// The fields, never mutated: a setter puts a new box in place.
    private final class Fields: Sendable {
        let tag: String
        let route: String
        let id: String
        let type: String

        init(tag: String, route: String, id: String, type: String) {
            self.tag = tag
            self.route = route
            self.id = id
            self.type = type
        }
    }

    /// The four strings in one box that copies share: a reference is one word, which keeps the
    /// steps that carry one small (a job's steps are an array that a burst of them grows).
    private var fields: Fields

    /// A short human-readable label, e.g. `P-101`.
    public var tag: String {
        get { fields.tag }
        set { fields = Fields(tag: newValue, route: route, id: id, type: type) }
    }

    /// Where a console navigates to show the entity, e.g. `/assets/123`.
    public var route: String {
        get { fields.route }
        set { fields = Fields(tag: tag, route: newValue, id: id, type: type) }
    }

    /// The entity's identifier in its own system, e.g. `123`.
    public var id: String {
        get { fields.id }
        set { fields = Fields(tag: tag, route: route, id: newValue, type: type) }
    }

    /// The kind of entity, e.g. `Asset`.
    public var type: String {
        get { fields.type }
        set { fields = Fields(tag: tag, route: route, id: id, type: newValue) }
    }

    /// Creates a reference; omitted fields are empty.
    public init(tag: String = "", route: String = "", id: String = "", type: String = "") {
        fields = Fields(tag: tag, route: route, id: id, type: type)
    }

    /// Whether no field is set.
    public var isEmpty: Bool {
        tag.isEmpty && route.isEmpty && id.isEmpty && type.isEmpty
    }

    /// Equal when all four strings are; copies that share a box are equal without comparing them.
    public static func == (lhs: EntityReference, rhs: EntityReference) -> Bool {
        lhs.fields === rhs.fields
            || (lhs.tag == rhs.tag && lhs.route == rhs.route && lhs.id == rhs.id && lhs.type == rhs.type)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tag)
        hasher.combine(route)
        hasher.combine(id)
        hasher.combine(type)
    }
}

extension EntityReference: CustomReflectable {
    /// The four strings, as `print`, `dump` and test failures show them, not the box.
    public var customMirror: Mirror {
        Mirror(self, children: ["tag": tag, "route": route, "id": id, "type": type], displayStyle: .struct)
    }
}
