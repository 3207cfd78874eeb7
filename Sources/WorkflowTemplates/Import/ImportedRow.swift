/// A row of an import file turned into an asset draft, with the line it came from.
package struct ImportedRow: Sendable, Hashable {
    /// The 1-based line of the row.
    package var line: Int
    /// The asset the row describes.
    package var draft: AssetDraft

    /// Creates a row.
    package init(line: Int, draft: AssetDraft) {
        self.line = line
        self.draft = draft
    }
}
