/// One page of ``AssetRegistry/list(_:)``.
package struct AssetPage: Sendable, Hashable {
    /// The assets, by tag.
    package var assets: [Asset]
    /// Whether more matching assets follow.
    package var hasMore: Bool
    /// How many assets match the filters.
    package var totalCount: Int
}
