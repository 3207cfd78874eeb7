import Synchronization

/// The service's own collection of assets, keyed by tag, with ids assigned on creation.
///
/// In memory for now; the API is shaped like a store (upsert by natural key, lookups,
/// snapshot, flag updates) so a durable implementation can replace it. Every method is atomic;
/// the registry may be shared by any number of concurrently running jobs.
///
/// ```swift
/// let registry = AssetRegistry()
/// let write = registry.upsert(AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump"))
/// print(write.change, write.asset.route)  // created /assets/1
/// ```
package final class AssetRegistry: Sendable {
    private struct State {
        var assetsByID: [String: Asset] = [:]
        var idsByTag: [String: String] = [:]
        var nextID = 1
    }

    // Sendable: all mutable state lives in the Mutex.
    private let state = Mutex(State())

    /// Creates an empty registry.
    package init() {}

    /// Creates the asset with `draft.tag`, or updates its type, name, attributes and links.
    ///
    /// Flags and the id of an existing asset are kept. Writing the same draft twice creates
    /// once and then answers ``AssetChange/unchanged``, so an import can be re-run safely.
    ///
    /// - Returns: the stored asset, what changed, and the links it gained.
    @discardableResult
    package func upsert(_ draft: AssetDraft) -> AssetWrite {
        state.withLock { state in
            if let id = state.idsByTag[draft.tag], var asset = state.assetsByID[id] {
                let before = asset
                asset.type = draft.type
                asset.name = draft.name
                asset.attributes = draft.attributes
                asset.links = draft.links
                state.assetsByID[id] = asset
                let added = draft.links.filter { !before.links.contains($0) }
                return AssetWrite(asset: asset, change: asset == before ? .unchanged : .updated, addedLinks: added)
            }
            let id = String(state.nextID)
            state.nextID += 1
            let asset = Asset(
                id: id, tag: draft.tag, type: draft.type, name: draft.name,
                attributes: draft.attributes, links: draft.links
            )
            state.assetsByID[id] = asset
            state.idsByTag[draft.tag] = id
            return AssetWrite(asset: asset, change: .created, addedLinks: draft.links)
        }
    }

    /// The asset with `tag`, if any.
    package func asset(tag: String) -> Asset? {
        state.withLock { state in state.idsByTag[tag].flatMap { state.assetsByID[$0] } }
    }

    /// The asset with registry id `id`, if any.
    package func asset(id: String) -> Asset? {
        state.withLock { $0.assetsByID[id] }
    }

    /// Every asset, sorted by tag.
    package func all() -> [Asset] {
        state.withLock { $0.assetsByID.values.sorted { $0.tag < $1.tag } }
    }

    /// The number of assets.
    package var count: Int {
        state.withLock { $0.assetsByID.count }
    }

    /// Sets flag `rule` with `message` on the asset with `tag`.
    ///
    /// - Returns: the asset after the change, or `nil` if there is no such asset or the flag
    ///   already had this message.
    package func setFlag(_ rule: String, message: String, onTag tag: String) -> Asset? {
        updateAsset(tag: tag) { asset in
            guard asset.flags[rule] != message else { return false }
            asset.flags[rule] = message
            return true
        }
    }

    /// Removes flag `rule` from the asset with `tag`.
    ///
    /// - Returns: the asset after the change, or `nil` if there is no such asset or flag.
    package func clearFlag(_ rule: String, onTag tag: String) -> Asset? {
        updateAsset(tag: tag) { asset in asset.flags.removeValue(forKey: rule) != nil }
    }

    /// Creates an asset under the next free numbered tag (`C-001`, `C-002`, …), unless an
    /// asset matching `exists` is already there; checked and created atomically.
    ///
    /// - Parameters:
    ///   - prefix: The tag prefix, e.g. `C-`.
    ///   - digits: The zero-padded width of the number.
    ///   - exists: Whether an asset already plays the role of the one to create.
    ///   - makeDraft: The draft for the chosen tag.
    /// - Returns: the created asset, or `nil` when one matching `exists` is already there.
    package func createNumbered(
        prefix: String,
        digits: Int = 3,
        unless exists: (Asset) -> Bool,
        _ makeDraft: (String) -> AssetDraft
    ) -> Asset? {
        state.withLock { state in
            guard !state.assetsByID.values.contains(where: exists) else { return nil }
            var number = 1
            var tag: String
            repeat {
                let digitsText = String(number)
                tag = prefix + String(repeating: "0", count: max(0, digits - digitsText.count)) + digitsText
                number += 1
            } while state.idsByTag[tag] != nil
            let draft = makeDraft(tag)
            let id = String(state.nextID)
            state.nextID += 1
            let asset = Asset(
                id: id, tag: tag, type: draft.type, name: draft.name,
                attributes: draft.attributes, links: draft.links
            )
            state.assetsByID[id] = asset
            state.idsByTag[tag] = id
            return asset
        }
    }

    /// Applies `change` to the asset with `tag`; answers the asset if `change` reported a change.
    private func updateAsset(tag: String, _ change: (inout Asset) -> Bool) -> Asset? {
        state.withLock { state in
            guard let id = state.idsByTag[tag], var asset = state.assetsByID[id], change(&asset) else { return nil }
            state.assetsByID[id] = asset
            return asset
        }
    }
}
