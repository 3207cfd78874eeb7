/// Which assets ``AssetRegistry/list(_:)`` returns: filters that combine, and a page.
package struct AssetQuery: Sendable, Hashable {
    /// Only assets of this type (empty: any).
    package var type = ""
    /// Only assets whose tag starts with this text (empty: any).
    package var tagPrefix = ""
    /// Only assets with at least one rule flag.
    package var flaggedOnly = false
    /// Only assets linked to this tag (empty: any).
    package var linkedTo = ""
    /// Only assets whose tag sorts after this one (the previous page's last).
    package var afterTag: String?
    /// At most this many assets.
    package var pageSize = 100

    /// Creates a query for every asset.
    package init() {}

    /// Whether no filter is set: every asset matches.
    package var isUnfiltered: Bool {
        type.isEmpty && tagPrefix.isEmpty && !flaggedOnly && linkedTo.isEmpty
    }

    /// Whether `asset` passes the filters.
    package func matches(_ asset: Asset) -> Bool {
        (type.isEmpty || asset.type == type)
            && (tagPrefix.isEmpty || asset.tag.hasPrefix(tagPrefix))
            && (!flaggedOnly || !asset.flags.isEmpty)
            && (linkedTo.isEmpty || asset.links.contains(linkedTo))
    }
}
