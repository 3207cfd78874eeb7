/// The result of ``AssetRegistry/upsert(_:)``: the stored asset, what changed, and the links
/// the write added.
public struct AssetWrite: Sendable, Hashable {
    /// The asset as stored after the write.
    public var asset: Asset
    /// Whether the asset was created, updated or left as it was.
    public var change: AssetChange
    /// Link targets the asset did not have before the write, in order.
    public var addedLinks: [String]
}
