/// One record of an import file, as read: its line and its fields by lower-case column name.
package struct SourceRow: Sendable, Hashable {
    /// The 1-based line the record starts on (for JSON, the line of the object's `{`).
    package var line: Int
    /// The fields, by lower-case column (or key) name; values are trimmed.
    package var fields: [String: String]
    /// Why the record is malformed as a record (wrong field count, not an object), if it is.
    package var problem: String?

    /// Creates a row.
    package init(line: Int, fields: [String: String], problem: String? = nil) {
        self.line = line
        self.fields = fields
        self.problem = problem
    }
}
