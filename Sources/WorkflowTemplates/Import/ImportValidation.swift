import WorkflowModel

/// Checks processed rows before they are saved.
///
/// Rejected (ERROR): a tag that does not match ``tagPattern``, a type outside ``knownTypes``,
/// a tag already used by an earlier row, an attribute whose name ends in a unit suffix
/// (``numericSuffixes``) with a value that is not a number, a link to itself. Kept with a
/// WARN: a link to a tag that is neither in the file nor in the registry (the link is dropped).
enum ImportValidation {
    /// Tags look like `P-101`, `XV-2001` or `P-101A`.
    static var tagPattern: Regex<Substring> { /[A-Z]{1,4}-[0-9]{1,6}[A-Z]?/ }
    /// The equipment types an import accepts.
    static let knownTypes: Set<String> = ["Pump", "Motor", "Valve", "Tank", "Instrument", "Cable", "Sensor"]
    /// Attribute-name suffixes whose values must be numbers.
    static let numericSuffixes = ["_kw", "_bar", "_m3h", "_mm", "_rpm", "_v"]

    static func validate(
        _ rows: [ImportedRow],
        existingTag: (String) -> Bool
    ) -> (rows: [ImportedRow], problems: [RowProblem]) {
        var problems: [RowProblem] = []
        var firstLineOfTag: [String: Int] = [:]
        var accepted: [ImportedRow] = []
        for row in rows {
            let draft = row.draft
            let entity = EntityReference(tag: draft.tag, type: "Asset")
            func reject(_ reason: String) {
                problems.append(RowProblem(line: row.line, level: .error, message: "Line \(row.line): rejected \(draft.tag): \(reason)", entity: entity))
            }
            if let first = firstLineOfTag[draft.tag] {
                reject("duplicate tag (first on line \(first))")
                continue
            }
            firstLineOfTag[draft.tag] = row.line
            guard draft.tag.wholeMatch(of: tagPattern) != nil else {
                reject("the tag does not look like P-101 (letters, a dash, digits)")
                continue
            }
            guard knownTypes.contains(draft.type) else {
                reject("unknown type \"\(draft.type)\" (known: \(knownTypes.sorted().joined(separator: ", ")))")
                continue
            }
            if let (name, value) = draft.attributes.sorted(by: { $0.key < $1.key }).first(where: { name, value in
                numericSuffixes.contains(where: { name.hasSuffix($0) }) && Double(value) == nil
            }) {
                reject("\(name) must be a number, got \"\(value)\"")
                continue
            }
            if draft.links.contains(draft.tag) {
                reject("links to itself")
                continue
            }
            accepted.append(row)
        }
        let tagsInFile = Set(accepted.map(\.draft.tag))
        for index in accepted.indices {
            let draft = accepted[index].draft
            let unknown = draft.links.filter { !tagsInFile.contains($0) && !existingTag($0) }
            guard !unknown.isEmpty else { continue }
            accepted[index].draft.links.removeAll { unknown.contains($0) }
            problems.append(RowProblem(
                line: accepted[index].line,
                level: .warn,
                message: "Line \(accepted[index].line): \(draft.tag) links to unknown \(unknown.joined(separator: ", ")); link dropped",
                entity: EntityReference(tag: draft.tag, type: "Asset")
            ))
        }
        return (accepted, problems.sorted { $0.line < $1.line })
    }
}
