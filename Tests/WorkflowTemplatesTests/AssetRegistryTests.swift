import Testing
import WorkflowEngine
@testable import WorkflowTemplates

@Suite("Asset registry")
struct AssetRegistryTests {
    @Test("Upsert creates once, then updates or reports unchanged; ids stay")
    func upsert() {
        let registry = AssetRegistry()
        let pump = AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump")
        let created = registry.upsert(pump, by: "wf-1")
        #expect(created.change == .created)
        #expect(created.asset.id == "1")
        #expect(created.asset.route == "/assets/1")
        #expect(registry.upsert(pump, by: "wf-1").change == .unchanged)

        var renamed = pump
        renamed.name = "Main feed pump"
        renamed.links = ["M-101"]
        let updated = registry.upsert(renamed, by: "wf-1")
        #expect(updated.change == .updated)
        #expect(updated.addedLinks == ["M-101"])
        #expect(updated.asset.id == "1")
        #expect(registry.count == 1)
        #expect(registry.asset(id: "1")?.name == "Main feed pump")
    }

    @Test("Flags are set and cleared once; a re-import keeps them")
    func flags() {
        let registry = AssetRegistry()
        let pump = AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump")
        registry.upsert(pump, by: "wf-1")
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-101", by: "wf-1") != nil)
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-101", by: "wf-1") == nil)
        #expect(registry.upsert(pump, by: "wf-1").change == .unchanged)
        #expect(registry.asset(tag: "P-101")?.flags == ["rule": "bad"])
        #expect(registry.clearFlag("rule", onTag: "P-101", by: "wf-1") != nil)
        #expect(registry.clearFlag("rule", onTag: "P-101", by: "wf-1") == nil)
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-999", by: "wf-1") == nil)
    }

    @Test("Numbered assets take the next free tag unless one already plays the role")
    func numbered() {
        let registry = AssetRegistry()
        registry.upsert(AssetDraft(tag: "C-001", type: "Cable", name: "existing", links: ["A-1", "B-1"]), by: "wf-1")
        let isCableAB: (Asset) -> Bool = { Set($0.links) == ["A-1", "B-2"] }
        let cable = registry.createNumbered(prefix: "C-", by: "wf-1", unless: isCableAB) { tag in
            AssetDraft(tag: tag, type: "Cable", name: "new", links: ["A-1", "B-2"])
        }
        #expect(cable?.asset.tag == "C-002")
        #expect(registry.createNumbered(prefix: "C-", by: "wf-1", unless: isCableAB) { AssetDraft(tag: $0, type: "Cable", name: "again") } == nil)
    }

    @Test("Every change has a record with a higher revision; a registry restored from the records is the same")
    func records() throws {
        let registry = AssetRegistry()
        let pump = registry.upsert(AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump"), by: "wf-1")
        let motor = registry.upsert(AssetDraft(tag: "M-101", type: "Motor", name: "Motor", links: ["P-101"]), by: "wf-1")
        // Unchanged still has a record (the same asset, a newer revision): its step stores it, in
        // case an earlier attempt changed the registry and lost its record.
        let unchanged = registry.upsert(AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump"), by: "wf-2")
        #expect(unchanged.change == .unchanged && unchanged.record?.body == pump.record?.body)
        let flagged = try #require(registry.setFlag("rule", message: "bad", onTag: "P-101", by: "wf-3"))
        let revisions = [pump, motor, unchanged, flagged].compactMap { $0.record?.revision }
        #expect(revisions == revisions.sorted() && Set(revisions).count == 4)
        #expect(flagged.asset.updatedByWorkflowID == "wf-3")

        // The store keeps the newest record of each key, whatever order they arrive in.
        var newest: [String: StoredRecord] = [:]
        for record in [flagged, unchanged, motor, pump].compactMap(\.record) where (newest[record.key]?.revision ?? 0) < record.revision {
            newest[record.key] = record
        }
        let restored = try AssetRegistry(restoring: Array(newest.values))
        #expect(restored.all() == registry.all())
        let next = restored.upsert(AssetDraft(tag: "V-1", type: "Valve", name: "Valve"), by: "wf-4")
        #expect(next.asset.id == "3", "ids continue after the restored ones")
        #expect((next.record?.revision ?? 0) > revisions.max() ?? 0)
        #expect(throws: AssetRecordError.self) {
            try AssetRegistry(restoring: [StoredRecord(collection: AssetRegistry.collection, key: "9", revision: 1, body: Array("{".utf8))])
        }
    }

    @Test("Listing filters by type, tag prefix, flags and links, and pages by tag")
    func listing() {
        let registry = AssetRegistry()
        for number in 1...5 {
            registry.upsert(AssetDraft(tag: "P-10\(number)", type: "Pump", name: "Pump \(number)"), by: "wf-1")
        }
        registry.upsert(AssetDraft(tag: "M-101", type: "Motor", name: "Motor", links: ["P-101"]), by: "wf-1")
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-103", by: "wf-1") != nil)
        var query = AssetQuery()
        query.type = "Pump"
        query.pageSize = 2
        let first = registry.list(query)
        #expect(first.assets.map(\.tag) == ["P-101", "P-102"])
        #expect(first.hasMore && first.totalCount == 5)
        query.afterTag = "P-102"
        #expect(registry.list(query).assets.map(\.tag) == ["P-103", "P-104"])
        query.afterTag = "P-104"
        #expect(registry.list(query).assets.map(\.tag) == ["P-105"])
        #expect(!registry.list(query).hasMore)
        var flagged = AssetQuery()
        flagged.flaggedOnly = true
        #expect(registry.list(flagged).assets.map(\.tag) == ["P-103"])
        var linked = AssetQuery()
        linked.linkedTo = "P-101"
        #expect(registry.list(linked).assets.map(\.tag) == ["M-101"])
        var prefix = AssetQuery()
        prefix.tagPrefix = "M-"
        #expect(registry.list(prefix).totalCount == 1)
    }

    @Test("CSV: quoted commas, doubled quotes, line breaks in quotes, CRLF, blank lines")
    func csv() throws {
        let table = try CSVTable(parsing: "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\n\"two\nlines\",z\nlast,")
        #expect(table.records.map(\.line) == [1, 2, 4, 6])
        #expect(table.records[1].fields == ["x, y", "say \"hi\""])
        #expect(table.records[2].fields == ["two\nlines", "z"])
        #expect(table.records[3].fields == ["last", ""])
        #expect(throws: CSVTable.ParseError(line: 2, reason: "a quote inside an unquoted field (quote the whole field and double the quote)")) {
            try CSVTable(parsing: "a,b\nx\"y,z")
        }
    }
}
