/// The fields of an asset as an import or a rule supplies them, before the registry assigns an id.
public struct AssetDraft: Sendable, Hashable {
    /// The plant tag, e.g. `P-101`.
    public var tag: String
    /// The kind of equipment, e.g. `Pump`.
    public var type: String
    /// A human-readable name.
    public var name: String
    /// Free-form attributes.
    public var attributes: [String: String]
    /// Tags of the assets this one is linked to.
    public var links: [String]

    /// Creates a draft.
    public init(tag: String, type: String, name: String, attributes: [String: String] = [:], links: [String] = []) {
        self.tag = tag
        self.type = type
        self.name = name
        self.attributes = attributes
        self.links = links
    }
}
