/// A row of an import file turned into an asset draft, with the line it came from.
public struct ImportedRow: Sendable, Hashable {
    /// The 1-based line of the row.
    public var line: Int
    /// The asset the row describes.
    public var draft: AssetDraft

    /// Creates a row.
    public init(line: Int, draft: AssetDraft) {
        self.line = line
        self.draft = draft
    }
}
