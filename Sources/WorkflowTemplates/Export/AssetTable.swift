/// The registry as a table, the shape both export files share: fixed columns, then one column
/// per attribute name found on any asset, sorted.
struct AssetTable: Sendable {
    var header: [String]
    var rows: [[String]]

    init(_ assets: [Asset]) {
        let attributeNames = Set(assets.flatMap(\.attributes.keys)).sorted()
        header = ["Tag", "ID", "Type", "Name", "Links", "Flags"] + attributeNames
        rows = assets.map { asset in
            [
                asset.tag, asset.id, asset.type, asset.name,
                asset.links.joined(separator: "; "),
                asset.flags.keys.sorted().joined(separator: "; "),
            ] + attributeNames.map { asset.attributes[$0] ?? "" }
        }
    }
}
