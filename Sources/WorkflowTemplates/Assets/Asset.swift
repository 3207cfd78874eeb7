import WorkflowModel

/// One entry of the asset registry: a piece of plant equipment such as pump `P-101`.
///
/// ```swift
/// let pump = registry.asset(tag: "P-101")
/// print(pump?.route ?? "none")  // /assets/1
/// ```
package struct Asset: Sendable, Hashable, Codable {
    /// The registry's identifier, assigned on creation and never reused, e.g. `1`.
    package var id: String
    /// The plant tag, unique in the registry, e.g. `P-101`.
    package var tag: String
    /// The kind of equipment, e.g. `Pump`, `Motor`, `Valve`, `Cable`.
    package var type: String
    /// A human-readable name, e.g. "Cooling water pump".
    package var name: String
    /// Free-form attributes, e.g. `["power_kw": "15"]`.
    package var attributes: [String: String]
    /// Tags of the assets this one is linked to, in order, e.g. motor `M-101` → `["P-101"]`.
    package var links: [String]
    /// Findings of rules, by rule id, e.g. `["pump-needs-motor": "no Motor is linked to P-103"]`.
    package var flags: [String: String]
    /// When the registry created it, in Unix epoch milliseconds.
    package var createdAtMs: Int64
    /// When it last changed, in Unix epoch milliseconds.
    package var updatedAtMs: Int64
    /// The workflow that last changed it; empty if none did.
    package var updatedByWorkflowID: String

    /// Creates an asset.
    package init(
        id: String,
        tag: String,
        type: String,
        name: String,
        attributes: [String: String] = [:],
        links: [String] = [],
        flags: [String: String] = [:],
        createdAtMs: Int64 = 0,
        updatedAtMs: Int64 = 0,
        updatedByWorkflowID: String = ""
    ) {
        self.id = id
        self.tag = tag
        self.type = type
        self.name = name
        self.attributes = attributes
        self.links = links
        self.flags = flags
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.updatedByWorkflowID = updatedByWorkflowID
    }

    /// Where a console shows the asset, `/assets/<id>`.
    package var route: String { "/assets/\(id)" }

    /// The reference steps about this asset carry: tag, route, id and entity type `Asset`.
    package var entity: EntityReference {
        EntityReference(tag: tag, route: route, id: id, type: "Asset")
    }
}
