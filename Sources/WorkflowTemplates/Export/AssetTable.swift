/// The registry as a table, the shape both export files share: fixed columns, then one column
/// per attribute name found on any asset, sorted.
struct AssetTable: Sendable {
    var header: [String]
    var rows: [[String]]
    /// The attribute columns whose values are all numbers (see ``isNumber(_:)``) and that have
    /// at least one value; a spreadsheet stores them as numbers. The ID column stays text: it is
    /// an identifier, not a quantity.
    var numericColumns: Set<Int>

    init(_ assets: [Asset]) {
        let attributeNames = Set(assets.flatMap(\.attributes.keys)).sorted()
        let fixed = ["Tag", "ID", "Type", "Name", "Links", "Flags"]
        header = fixed + attributeNames
        rows = assets.map { asset in
            [
                asset.tag, asset.id, asset.type, asset.name,
                asset.links.joined(separator: "; "),
                asset.flags.keys.sorted().joined(separator: "; "),
            ] + attributeNames.map { asset.attributes[$0] ?? "" }
        }
        numericColumns = Set(attributeNames.indices.compactMap { index in
            let values = assets.compactMap { $0.attributes[attributeNames[index]] }.filter { !$0.isEmpty }
            return !values.isEmpty && values.allSatisfy(Self.isNumber) ? fixed.count + index : nil
        })
    }

    /// Whether `text` is a plain decimal number that a spreadsheet stores without changing how
    /// it reads: an optional `-`, no leading zeros (so `0042` stays text), an optional fraction
    /// not ending in 0 (so `1.50` stays text), no exponent, not `-0`, at most 15 digits (a
    /// double's exact precision).
    static func isNumber(_ text: String) -> Bool {
        guard text != "-0", text.wholeMatch(of: /-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?/) != nil else { return false }
        return text.filter(\.isNumber).count <= 15
    }
}
