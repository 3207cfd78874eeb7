import Foundation
import Synchronization
import WorkflowEngine

/// The service's collection of assets, keyed by tag, with ids assigned on creation and never
/// reused.
///
/// The registry answers from memory and is durable through the engine's store: every change
/// returns its ``AssetWrite/record``, which the job hands to `JobContext.logSteps(_:keeping:)`
/// with the steps that report the change, so the store commits both in one transaction (a
/// crash never leaves "Created P-101" without P-101, nor P-101 without its step). At start the
/// registry is restored from the store's records (``init(restoring:)``). Each record carries a
/// revision drawn from one counter, so the newest change of an asset wins in the store even
/// when two jobs' commits reach it out of order.
///
/// Every method is atomic; the registry may be shared by any number of concurrently running
/// jobs.
///
/// ```swift
/// let registry = AssetRegistry()
/// let write = registry.upsert(AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump"), by: "wf-1")
/// print(write.change, write.asset.route)  // created /assets/1
/// context.logSteps([StepEntry("Created Pump P-101", entity: write.asset.entity)], keeping: write.records)
/// ```
package final class AssetRegistry: Sendable {
    /// The store collection assets are kept in.
    package static let collection = "asset"

    private struct State {
        var assetsByID: [String: Asset] = [:]
        var idsByTag: [String: String] = [:]
        var nextID = 1
        var revision: UInt64 = 0
    }

    // Sendable: all mutable state lives in the Mutex.
    private let state = Mutex(State())

    /// Creates an empty registry.
    package init() {}

    /// Restores a registry from the records a store kept (see ``collection``).
    ///
    /// - Throws: ``AssetRecordError`` naming a record that cannot be decoded.
    package init(restoring records: [StoredRecord]) throws(AssetRecordError) {
        var restored = State()
        let decoder = JSONDecoder()
        for record in records {
            guard let asset = try? decoder.decode(Asset.self, from: Data(record.body)), asset.id == record.key else {
                throw AssetRecordError(key: record.key)
            }
            restored.assetsByID[asset.id] = asset
            restored.idsByTag[asset.tag] = asset.id
            restored.nextID = max(restored.nextID, (Int(asset.id) ?? 0) + 1)
            restored.revision = max(restored.revision, record.revision)
        }
        state.withLock { $0 = restored }
    }

    /// Creates the asset with `draft.tag`, or updates its type, name, attributes and links.
    ///
    /// Flags and the id of an existing asset are kept. Writing the same draft twice creates
    /// once and then answers ``AssetChange/unchanged`` (with no record), so an import can be
    /// re-run safely.
    ///
    /// - Parameters:
    ///   - draft: The asset's fields.
    ///   - workflowID: The workflow making the change.
    /// - Returns: the stored asset, what changed, the links it gained, and its record.
    @discardableResult
    package func upsert(_ draft: AssetDraft, by workflowID: String) -> AssetWrite {
        state.withLock { state in
            let now = Self.nowMs()
            if let id = state.idsByTag[draft.tag], var asset = state.assetsByID[id] {
                let before = asset
                asset.type = draft.type
                asset.name = draft.name
                asset.attributes = draft.attributes
                asset.links = draft.links
                let added = draft.links.filter { !before.links.contains($0) }
                guard asset != before else {
                    return AssetWrite(asset: asset, change: .unchanged, addedLinks: added, record: nil)
                }
                asset.updatedAtMs = now
                asset.updatedByWorkflowID = workflowID
                state.assetsByID[id] = asset
                return AssetWrite(asset: asset, change: .updated, addedLinks: added, record: Self.record(asset, in: &state))
            }
            let asset = Self.create(draft, tag: draft.tag, by: workflowID, nowMs: now, in: &state)
            return AssetWrite(asset: asset, change: .created, addedLinks: draft.links, record: Self.record(asset, in: &state))
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

    /// One page of the assets matching `query`, by tag.
    package func list(_ query: AssetQuery) -> AssetPage {
        let matching = state.withLock { state in
            state.assetsByID.values.filter(query.matches)
        }.sorted { $0.tag < $1.tag }
        let start = query.afterTag.map { after in matching.firstIndex { $0.tag > after } ?? matching.count } ?? 0
        let end = min(matching.count, start + query.pageSize)
        return AssetPage(assets: Array(matching[start..<end]), hasMore: end < matching.count, totalCount: matching.count)
    }

    /// Sets flag `rule` with `message` on the asset with `tag`.
    ///
    /// - Returns: the write, or `nil` if there is no such asset or the flag already had this
    ///   message.
    package func setFlag(_ rule: String, message: String, onTag tag: String, by workflowID: String) -> AssetWrite? {
        updateAsset(tag: tag, by: workflowID) { asset in
            guard asset.flags[rule] != message else { return false }
            asset.flags[rule] = message
            return true
        }
    }

    /// Removes flag `rule` from the asset with `tag`.
    ///
    /// - Returns: the write, or `nil` if there is no such asset or flag.
    package func clearFlag(_ rule: String, onTag tag: String, by workflowID: String) -> AssetWrite? {
        updateAsset(tag: tag, by: workflowID) { asset in asset.flags.removeValue(forKey: rule) != nil }
    }

    /// Creates an asset under the next free numbered tag (`C-001`, `C-002`, …), unless an
    /// asset matching `exists` is already there; checked and created atomically.
    ///
    /// - Parameters:
    ///   - prefix: The tag prefix, e.g. `C-`.
    ///   - digits: The zero-padded width of the number.
    ///   - workflowID: The workflow making the change.
    ///   - exists: Whether an asset already plays the role of the one to create.
    ///   - makeDraft: The draft for the chosen tag.
    /// - Returns: the write creating the asset, or `nil` when one matching `exists` is already there.
    package func createNumbered(
        prefix: String,
        digits: Int = 3,
        by workflowID: String,
        unless exists: (Asset) -> Bool,
        _ makeDraft: (String) -> AssetDraft
    ) -> AssetWrite? {
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
            let asset = Self.create(draft, tag: tag, by: workflowID, nowMs: Self.nowMs(), in: &state)
            return AssetWrite(asset: asset, change: .created, addedLinks: draft.links, record: Self.record(asset, in: &state))
        }
    }

    /// Applies `change` to the asset with `tag`; answers the write if `change` reported a change.
    private func updateAsset(tag: String, by workflowID: String, _ change: (inout Asset) -> Bool) -> AssetWrite? {
        state.withLock { state in
            guard let id = state.idsByTag[tag], var asset = state.assetsByID[id], change(&asset) else { return nil }
            asset.updatedAtMs = Self.nowMs()
            asset.updatedByWorkflowID = workflowID
            state.assetsByID[id] = asset
            return AssetWrite(asset: asset, change: .updated, addedLinks: [], record: Self.record(asset, in: &state))
        }
    }

    private static func create(_ draft: AssetDraft, tag: String, by workflowID: String, nowMs: Int64, in state: inout State) -> Asset {
        let id = String(state.nextID)
        state.nextID += 1
        let asset = Asset(
            id: id, tag: tag, type: draft.type, name: draft.name, attributes: draft.attributes, links: draft.links,
            createdAtMs: nowMs, updatedAtMs: nowMs, updatedByWorkflowID: workflowID
        )
        state.assetsByID[id] = asset
        state.idsByTag[tag] = id
        return asset
    }

    /// `asset` as the store keeps it, with the next revision.
    private static func record(_ asset: Asset, in state: inout State) -> StoredRecord {
        state.revision += 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a value of strings, arrays and dictionaries cannot fail.
        let body = (try? encoder.encode(asset)).map { [UInt8]($0) } ?? []
        return StoredRecord(collection: collection, key: asset.id, revision: state.revision, body: body)
    }

    private static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
