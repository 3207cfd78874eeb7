import WorkflowModel

/// Turns read rows into asset drafts: trims, upper-cases tags, capitalises types, splits
/// links, and keeps every other column as an attribute. Rows that are malformed as records or
/// lack a tag or type are rejected with an ERROR problem naming their line.
enum ImportProcessing {
    /// Columns with a meaning of their own; every other one is an attribute.
    static let knownColumns: Set<String> = ["tag", "type", "name", "links"]

    /// Turns `rows` into drafts; each row on its own, so a job may pass one batch at a time.
    static func process(_ rows: some Sequence<SourceRow>) -> (rows: [ImportedRow], problems: [RowProblem]) {
        var imported: [ImportedRow] = []
        var problems: [RowProblem] = []
        for row in rows {
            let tag = (row.fields["tag"] ?? "").uppercased()
            let entity = tag.isEmpty ? nil : EntityReference(tag: tag, type: "Asset")
            if let problem = row.problem {
                problems.append(RowProblem(line: row.line, level: .error, message: "Line \(row.line): skipped: the row \(problem)", entity: entity))
                continue
            }
            guard !tag.isEmpty else {
                problems.append(RowProblem(line: row.line, level: .error, message: "Line \(row.line): skipped: no tag"))
                continue
            }
            guard let rawType = row.fields["type"], !rawType.isEmpty else {
                problems.append(RowProblem(line: row.line, level: .error, message: "Line \(row.line): skipped \(tag): no type", entity: entity))
                continue
            }
            let type = rawType.prefix(1).uppercased() + rawType.dropFirst().lowercased()
            let links = (row.fields["links"] ?? "")
                .split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " })
                .map { $0.uppercased() }
            var attributes: [String: String] = [:]
            for (column, value) in row.fields where !knownColumns.contains(column) && !value.isEmpty {
                attributes[column] = value
            }
            let name = row.fields["name"].flatMap { $0.isEmpty ? nil : $0 } ?? tag
            imported.append(ImportedRow(
                line: row.line,
                draft: AssetDraft(tag: tag, type: type, name: name, attributes: attributes, links: links)
            ))
        }
        return (imported, problems)
    }
}
