import WorkflowEngine

/// What a change of the ``AssetRegistry`` did: the stored asset, what changed, the links it
/// gained, and the record to keep in the engine's store with the steps that report it.
package struct AssetWrite: Sendable, Hashable {
    /// The asset as stored after the write.
    package var asset: Asset
    /// Whether the asset was created, updated or left as it was.
    package var change: AssetChange
    /// Link targets the asset did not have before the write, in order.
    package var addedLinks: [String]
    /// The asset as the store keeps it; `nil` when nothing changed.
    package var record: StoredRecord?

    /// The records to keep with the steps about this write: none when nothing changed.
    package var records: [StoredRecord] {
        record.map { [$0] } ?? []
    }
}
