/// The fields of an asset as an import or a rule supplies them, before the registry assigns an id.
package struct AssetDraft: Sendable, Hashable {
    /// The plant tag, e.g. `P-101`.
    package var tag: String
    /// The kind of equipment, e.g. `Pump`.
    package var type: String
    /// A human-readable name.
    package var name: String
    /// Free-form attributes.
    package var attributes: [String: String]
    /// Tags of the assets this one is linked to.
    package var links: [String]

    /// Creates a draft.
    package init(tag: String, type: String, name: String, attributes: [String: String] = [:], links: [String] = []) {
        self.tag = tag
        self.type = type
        self.name = name
        self.attributes = attributes
        self.links = links
    }
}
