import Dispatch
import Foundation
import Synchronization
import WorkflowEngine

/// The service's collection of assets, keyed by tag, with ids assigned on creation and never
/// reused, not even after a crash.
///
/// The registry answers from memory and is durable through the engine's store: every change
/// returns its ``AssetWrite/record``, which the job hands to `JobContext.logSteps(_:keeping:)`
/// with the steps that report the change, so the store commits both in one transaction (a
/// crash never leaves "Created P-101" without P-101, nor P-101 without its step). At start the
/// registry is restored from the store's records (``init(store:)``). Each record carries a
/// revision drawn from one counter, so the newest change of an asset wins in the store even
/// when two jobs' commits reach it out of order.
///
/// A client may see an asset (ListAssets reads this registry) before the commit that makes it
/// durable, so a crash could lose an id someone was shown. Ids are therefore handed out only
/// from a block of ``idBlockSize`` reserved in the store first (``reservationCollection``): the
/// registry reserves one when it opens, and the next one, in the background, once half of the
/// current block is used; a change that needs an id when none is reserved waits for a
/// reservation outside the registry's lock, so readers never wait on the disk. After a restart
/// ids continue after the last reserved block, so they skip what a crash or a stop left unused.
///
/// A write that changes nothing (``AssetChange/unchanged``) still returns the asset's record:
/// an earlier attempt may have changed the registry in memory and lost its record with the
/// attempt (abandoned after a timeout), and the step that reports the asset now must store it.
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
    /// The store collection of the id reservation: one record, the highest id reserved.
    package static let reservationCollection = "asset-ids"
    /// How many ids one reservation covers.
    package static let idBlockSize = 1000

    private struct State {
        var assetsByID: [String: Asset] = [:]
        var idsByTag: [String: String] = [:]
        /// Every tag, sorted when ``tagsNeedSorting`` is false: listing walks it from a page's
        /// first tag and stops at its end. New tags are appended and sorted in at the next read,
        /// so an import of n assets costs one sort, not n insertions.
        var sortedTags: [String] = []
        var tagsNeedSorting = false
        var nextID = 1
        var revision: UInt64 = 0
        /// The highest id a committed reservation covers (unlimited without a store).
        var reservedThrough = Int.max
        /// The highest id any reservation asked for, committed or not: each new reservation
        /// goes past it, so a later revision never reserves less.
        var requestedThrough = 0
        /// Whether a reservation is being committed in the background.
        var isReserving = false
    }

    // Sendable: all mutable state lives in the Mutex; the store is Sendable.
    private let state = Mutex(State())
    /// Where ids are reserved; `nil` for a registry in memory only.
    private let store: (any EventStore)?

    /// Creates an empty registry in memory only.
    package init() {
        store = nil
    }

    /// Restores the registry from `store` (its assets and its id reservation) and reserves the
    /// first block of ids, waiting for that commit.
    ///
    /// - Throws: What the store throws when it cannot be read; ``AssetRecordError`` for an
    ///   asset record that cannot be decoded.
    package convenience init(store: any EventStore) throws {
        try self.init(restoring: store.records(in: Self.collection), reservations: store.records(in: Self.reservationCollection), store: store)
    }

    /// Restores a registry from the records a store kept (see ``collection``), in memory only.
    ///
    /// - Throws: ``AssetRecordError`` naming a record that cannot be decoded.
    package convenience init(restoring records: [StoredRecord]) throws(AssetRecordError) {
        try self.init(restoring: records, reservations: [], store: nil)
    }

    private init(restoring records: [StoredRecord], reservations: [StoredRecord], store: (any EventStore)?) throws(AssetRecordError) {
        self.store = store
        var restored = State()
        let decoder = JSONDecoder()
        for record in records {
            guard let asset = try? decoder.decode(Asset.self, from: Data(record.body)), asset.id == record.key else {
                throw AssetRecordError(key: record.key)
            }
            restored.assetsByID[asset.id] = asset
            restored.idsByTag[asset.tag] = asset.id
            restored.sortedTags.append(asset.tag)
            restored.nextID = max(restored.nextID, (Int(asset.id) ?? 0) + 1)
            restored.revision = max(restored.revision, record.revision)
        }
        for reservation in reservations {
            restored.revision = max(restored.revision, reservation.revision)
            if let reserved = Int(String(decoding: reservation.body, as: UTF8.self)) {
                restored.nextID = max(restored.nextID, reserved + 1)
            }
        }
        restored.sortedTags.sort()
        if store != nil {
            restored.reservedThrough = restored.nextID - 1
            restored.requestedThrough = restored.reservedThrough
        }
        state.withLock { $0 = restored }
        reserveAndWait()
    }

    /// The next id, or `nil` when no committed reservation covers it (then the caller waits
    /// with ``reserveAndWait()``, outside the lock, and tries again); asks for the next block in
    /// the background once half of this one is used.
    private func takeID(_ state: inout State) -> String? {
        if let store {
            guard state.nextID <= state.reservedThrough else { return nil }
            if !state.isReserving, state.reservedThrough - state.nextID < Self.idBlockSize / 2 {
                state.isReserving = true
                let (record, through) = Self.reservation(&state)
                DispatchQueue.global().async { [self] in
                    store.enqueue(.records([record]))
                    store.flush()
                    self.state.withLock { state in
                        state.reservedThrough = max(state.reservedThrough, through)
                        state.isReserving = false
                    }
                }
            }
        }
        let id = String(state.nextID)
        state.nextID += 1
        return id
    }

    /// Reserves the next block and waits, without holding the lock, until the store committed
    /// it; nothing without a store.
    private func reserveAndWait() {
        guard let store else { return }
        let (record, through) = state.withLock { Self.reservation(&$0) }
        store.enqueue(.records([record]))
        store.flush()
        state.withLock { $0.reservedThrough = max($0.reservedThrough, through) }
    }

    /// Runs `change`, which returns `nil` when it needs an id and none is reserved: then waits
    /// for a reservation and runs it again.
    private func withReservedIDs<Result: Sendable>(_ change: (inout State) -> Result?) -> Result {
        while true {
            if let result = state.withLock({ state in change(&state) }) { return result }
            reserveAndWait()
        }
    }

    /// The record reserving the ids up to a block past every id reserved, asked for or used.
    private static func reservation(_ state: inout State) -> (StoredRecord, Int) {
        let through = max(state.reservedThrough, state.requestedThrough, state.nextID - 1) + idBlockSize
        state.requestedThrough = through
        state.revision += 1
        let record = StoredRecord(collection: reservationCollection, key: "reserved_through", revision: state.revision, body: Array(String(through).utf8))
        return (record, through)
    }

    /// Creates the asset with `draft.tag`, or updates its type, name, attributes and links.
    ///
    /// Flags and the id of an existing asset are kept. Writing the same draft twice creates
    /// once and then answers ``AssetChange/unchanged`` (with the asset's record, to store with
    /// the step that reports it), so an import can be re-run safely.
    ///
    /// - Parameters:
    ///   - draft: The asset's fields.
    ///   - workflowID: The workflow making the change.
    /// - Returns: the stored asset, what changed, the links it gained, and its record.
    @discardableResult
    package func upsert(_ draft: AssetDraft, by workflowID: String) -> AssetWrite {
        withReservedIDs { state -> AssetWrite? in
            let now = WallClock.nowMs()
            if let id = state.idsByTag[draft.tag], var asset = state.assetsByID[id] {
                let before = asset
                asset.type = draft.type
                asset.name = draft.name
                asset.attributes = draft.attributes
                asset.links = draft.links
                let added = draft.links.filter { !before.links.contains($0) }
                guard asset != before else {
                    return AssetWrite(asset: asset, change: .unchanged, addedLinks: added, record: Self.record(asset, in: &state))
                }
                asset.updatedAtMs = now
                asset.updatedByWorkflowID = workflowID
                state.assetsByID[id] = asset
                return AssetWrite(asset: asset, change: .updated, addedLinks: added, record: Self.record(asset, in: &state))
            }
            guard let asset = create(draft, tag: draft.tag, by: workflowID, nowMs: now, in: &state) else { return nil }
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
        state.withLock { state in
            Self.sortTags(&state)
            return state.sortedTags.compactMap { state.idsByTag[$0].flatMap { state.assetsByID[$0] } }
        }
    }

    /// The number of assets.
    package var count: Int {
        state.withLock { $0.assetsByID.count }
    }

    /// One page of the assets matching `query`, by tag: a binary search for the page's first
    /// tag, then a walk that stops once the page is full; only a query that filters walks on to
    /// the end, to count its matches.
    package func list(_ query: AssetQuery) -> AssetPage {
        state.withLock { state in
            Self.sortTags(&state)
            let tags = state.sortedTags
            let start = query.afterTag.map { after in Self.firstIndex(in: tags) { $0 > after } } ?? 0
            let (idsByTag, assetsByID) = (state.idsByTag, state.assetsByID)
            let asset = { (tag: String) in idsByTag[tag].flatMap { assetsByID[$0] } }
            if query.isUnfiltered {
                let end = min(tags.count, start + query.pageSize)
                return AssetPage(assets: tags[start..<end].compactMap(asset), hasMore: end < tags.count, totalCount: tags.count)
            }
            var page: [Asset] = []
            var matchesFromStart = 0
            for tag in tags[start...] {
                guard let found = asset(tag), query.matches(found) else { continue }
                matchesFromStart += 1
                if page.count < query.pageSize { page.append(found) }
            }
            let matchesBefore = tags[..<start].count { tag in asset(tag).map(query.matches) ?? false }
            return AssetPage(assets: page, hasMore: matchesFromStart > page.count, totalCount: matchesBefore + matchesFromStart)
        }
    }

    /// Sorts the tags appended since the last read.
    private static func sortTags(_ state: inout State) {
        guard state.tagsNeedSorting else { return }
        state.sortedTags.sort()
        state.tagsNeedSorting = false
    }

    /// The first index of sorted `tags` whose tag `isPast` holds for.
    private static func firstIndex(in tags: [String], where isPast: (String) -> Bool) -> Int {
        var low = 0
        var high = tags.count
        while low < high {
            let middle = (low + high) / 2
            if isPast(tags[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
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
        withReservedIDs { state -> AssetWrite?? in
            guard !state.assetsByID.values.contains(where: exists) else { return .some(nil) }
            var number = 1
            var tag: String
            repeat {
                let digitsText = String(number)
                tag = prefix + String(repeating: "0", count: max(0, digits - digitsText.count)) + digitsText
                number += 1
            } while state.idsByTag[tag] != nil
            let draft = makeDraft(tag)
            guard let asset = create(draft, tag: tag, by: workflowID, nowMs: WallClock.nowMs(), in: &state) else { return nil }
            return AssetWrite(asset: asset, change: .created, addedLinks: draft.links, record: Self.record(asset, in: &state))
        }
    }

    /// Applies `change` to the asset with `tag`; answers the write if `change` reported a change.
    private func updateAsset(tag: String, by workflowID: String, _ change: (inout Asset) -> Bool) -> AssetWrite? {
        state.withLock { state in
            guard let id = state.idsByTag[tag], var asset = state.assetsByID[id], change(&asset) else { return nil }
            asset.updatedAtMs = WallClock.nowMs()
            asset.updatedByWorkflowID = workflowID
            state.assetsByID[id] = asset
            return AssetWrite(asset: asset, change: .updated, addedLinks: [], record: Self.record(asset, in: &state))
        }
    }

    /// Creates the asset under the next id; `nil` when no id is reserved.
    private func create(_ draft: AssetDraft, tag: String, by workflowID: String, nowMs: Int64, in state: inout State) -> Asset? {
        guard let id = takeID(&state) else { return nil }
        let asset = Asset(
            id: id, tag: tag, type: draft.type, name: draft.name, attributes: draft.attributes, links: draft.links,
            createdAtMs: nowMs, updatedAtMs: nowMs, updatedByWorkflowID: workflowID
        )
        state.assetsByID[id] = asset
        state.idsByTag[tag] = id
        state.sortedTags.append(tag)
        state.tagsNeedSorting = true
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
}
