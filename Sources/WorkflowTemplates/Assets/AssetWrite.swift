/// The result of ``AssetRegistry/upsert(_:)``: the stored asset, what changed, and the links
/// the write added.
package struct AssetWrite: Sendable, Hashable {
    /// The asset as stored after the write.
    package var asset: Asset
    /// Whether the asset was created, updated or left as it was.
    package var change: AssetChange
    /// Link targets the asset did not have before the write, in order.
    package var addedLinks: [String]
}
