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
    ///
    /// Matched by hand (`-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`): a regex literal is parsed again each
    /// time it is evaluated, which cost an export of 20,000 assets seconds.
    static func isNumber(_ text: String) -> Bool {
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let whole = bytes.prefix(while: isDigit)
        guard !whole.isEmpty, whole.count == 1 || whole.first != UInt8(ascii: "0") else { return false }
        var digits = whole.count
        let rest = bytes.dropFirst(whole.count)
        if !rest.isEmpty {
            let fraction = rest.dropFirst()
            guard rest.first == UInt8(ascii: "."), !fraction.isEmpty, fraction.allSatisfy(isDigit), fraction.last != UInt8(ascii: "0") else {
                return false
            }
            digits += fraction.count
        }
        return text != "-0" && digits <= 15
    }
}
