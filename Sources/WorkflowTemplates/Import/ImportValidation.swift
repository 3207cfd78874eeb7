import WorkflowModel

/// Checks processed rows before they are saved.
///
/// Rejected (ERROR): a tag that is not like `P-101` (``isTag(_:)``), a type outside ``knownTypes``,
/// a tag already used by an earlier row, an attribute whose name ends in a unit suffix
/// (``numericSuffixes``) with a value that is not a number, a link to itself. Kept with a
/// WARN: a link to a tag that is neither in the file nor in the registry (the link is dropped).
///
/// Rows are checked batch by batch with ``check(_:)``; ``finish(existingTag:)`` then checks
/// the links, which needs every accepted tag of the file:
///
/// ```swift
/// var validation = ImportValidation()
/// for (_, batch) in rows.batches(of: 100) { validation.check(batch) }
/// let (accepted, problems) = validation.finish(existingTag: { registry.asset(tag: $0) != nil })
/// ```
struct ImportValidation {
    /// Whether `tag` looks like `P-101`, `XV-2001` or `P-101A`: `[A-Z]{1,4}-[0-9]{1,6}[A-Z]?`.
    ///
    /// Matched by hand: a regex literal is parsed again each time it is evaluated, which cost an
    /// import of 20,000 rows most of its Validate time.
    static func isTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        let letters = bytes.prefix { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }.count
        guard (1...4).contains(letters), bytes.count > letters, bytes[letters] == UInt8(ascii: "-") else { return false }
        let rest = bytes[(letters + 1)...]
        let digits = rest.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
        guard (1...6).contains(digits) else { return false }
        let suffix = rest.dropFirst(digits)
        return suffix.isEmpty || (suffix.count == 1 && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(suffix.first!))
    }
    /// The equipment types an import accepts.
    static let knownTypes: Set<String> = ["Pump", "Motor", "Valve", "Tank", "Instrument", "Cable", "Sensor"]
    /// Attribute-name suffixes whose values must be numbers.
    static let numericSuffixes = ["_kw", "_bar", "_m3h", "_mm", "_rpm", "_v"]

    /// The line of the first row of each tag checked so far.
    private var firstLineOfTag: [String: Int] = [:]
    /// The rows that passed the row checks, in order.
    private var accepted: [ImportedRow] = []
    /// The rows rejected so far, in order.
    private(set) var rejections: [RowProblem] = []

    /// Checks all of `rows` at once.
    static func validate(
        _ rows: [ImportedRow],
        existingTag: (String) -> Bool
    ) -> (rows: [ImportedRow], problems: [RowProblem]) {
        var validation = ImportValidation()
        validation.check(rows[...])
        return validation.finish(existingTag: existingTag)
    }

    /// Checks `rows`, which follow the rows checked before, one by one: rejected rows become
    /// ERROR problems; a duplicate tag is one an earlier batch already had.
    ///
    /// - Returns: How many of `rows` were rejected.
    @discardableResult
    mutating func check(_ rows: ArraySlice<ImportedRow>) -> Int {
        let rejectedBefore = rejections.count
        for row in rows {
            if let reason = rejectionReason(row) {
                rejections.append(RowProblem(
                    line: row.line,
                    level: .error,
                    message: "Line \(row.line): rejected \(row.draft.tag): \(reason)",
                    entity: EntityReference(tag: row.draft.tag, type: "Asset")
                ))
            } else {
                accepted.append(row)
            }
        }
        return rejections.count - rejectedBefore
    }

    /// Drops links to tags neither accepted from the file nor in the registry (one WARN each).
    ///
    /// - Returns: The accepted rows, and every problem (rejections and dropped links) sorted
    ///   by line.
    consuming func finish(existingTag: (String) -> Bool) -> (rows: [ImportedRow], problems: [RowProblem]) {
        var problems = rejections
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

    /// Why `row` is rejected, or nil; remembers its tag for the duplicate check.
    private mutating func rejectionReason(_ row: ImportedRow) -> String? {
        let draft = row.draft
        if let first = firstLineOfTag[draft.tag] {
            return "duplicate tag (first on line \(first))"
        }
        firstLineOfTag[draft.tag] = row.line
        guard Self.isTag(draft.tag) else {
            return "the tag does not look like P-101 (letters, a dash, digits)"
        }
        guard Self.knownTypes.contains(draft.type) else {
            return "unknown type \"\(draft.type)\" (known: \(Self.knownTypes.sorted().joined(separator: ", ")))"
        }
        if let (name, value) = draft.attributes.sorted(by: { $0.key < $1.key }).first(where: { name, value in
            Self.numericSuffixes.contains(where: { name.hasSuffix($0) }) && Double(value) == nil
        }) {
            return "\(name) must be a number, got \"\(value)\""
        }
        if draft.links.contains(draft.tag) {
            return "links to itself"
        }
        return nil
    }
}
