import Testing
@testable import WorkflowTemplates

@Suite("Asset registry")
struct AssetRegistryTests {
    @Test("Upsert creates once, then updates or reports unchanged; ids stay")
    func upsert() {
        let registry = AssetRegistry()
        let pump = AssetDraft(tag: "P-101", type: "Pump", name: "Feed pump")
        let created = registry.upsert(pump)
        #expect(created.change == .created)
        #expect(created.asset.id == "1")
        #expect(created.asset.route == "/assets/1")
        #expect(registry.upsert(pump).change == .unchanged)

        var renamed = pump
        renamed.name = "Main feed pump"
        renamed.links = ["M-101"]
        let updated = registry.upsert(renamed)
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
        registry.upsert(pump)
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-101") != nil)
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-101") == nil)
        #expect(registry.upsert(pump).change == .unchanged)
        #expect(registry.asset(tag: "P-101")?.flags == ["rule": "bad"])
        #expect(registry.clearFlag("rule", onTag: "P-101") != nil)
        #expect(registry.clearFlag("rule", onTag: "P-101") == nil)
        #expect(registry.setFlag("rule", message: "bad", onTag: "P-999") == nil)
    }

    @Test("Numbered assets take the next free tag unless one already plays the role")
    func numbered() {
        let registry = AssetRegistry()
        registry.upsert(AssetDraft(tag: "C-001", type: "Cable", name: "existing", links: ["A-1", "B-1"]))
        let isCableAB: (Asset) -> Bool = { Set($0.links) == ["A-1", "B-2"] }
        let cable = registry.createNumbered(prefix: "C-", unless: isCableAB) { tag in
            AssetDraft(tag: tag, type: "Cable", name: "new", links: ["A-1", "B-2"])
        }
        #expect(cable?.tag == "C-002")
        #expect(registry.createNumbered(prefix: "C-", unless: isCableAB) { AssetDraft(tag: $0, type: "Cable", name: "again") } == nil)
    }

    @Test("Beyond capacity the scratchpad evicts entries kept for a retry, never a running workflow's")
    func scratchpadEviction() {
        let scratchpad = WorkflowScratchpad(capacity: 2)
        scratchpad.update("a") { $0.rules = [] }
        scratchpad.update("b") { $0.rules = [] }
        scratchpad.jobEnded("b", .workflowFailed)
        scratchpad.update("c") { $0.rules = [] }
        #expect(scratchpad.count == 2)
        #expect(scratchpad.read("a") { $0.rules } == [], "the oldest entry, but its workflow runs")
        #expect(scratchpad.read("b") { $0.rules } == nil, "kept for a retry: evicted first")

        scratchpad.jobEnded("a", .continuing)
        scratchpad.update("d") { $0.rules = [] }
        #expect(scratchpad.count == 3, "every workflow runs (a between two jobs): the scratchpad grows")

        scratchpad.jobEnded("d", .workflowCompleted)
        scratchpad.jobEnded("c", .workflowCancelled)
        #expect(scratchpad.count == 1)
        scratchpad.jobStarted("a")
        scratchpad.jobEnded("a", .workflowFailed)
        #expect(scratchpad.read("a") { $0.rules } == [], "a failed workflow keeps its entry")
    }

    @Test("A failed workflow's entry is taken back by its retry; an entry long between jobs counts as abandoned")
    func scratchpadRetryAndAbandoned() {
        let scratchpad = WorkflowScratchpad(capacity: 1, abandonedAfter: .zero)
        scratchpad.update("failed") { $0.rules = [] }
        scratchpad.jobEnded("failed", .workflowFailed)
        scratchpad.jobStarted("failed")
        scratchpad.update("other") { $0.rules = [] }
        #expect(scratchpad.count == 2, "the retried workflow runs again")

        scratchpad.jobEnded("failed", .continuing)
        scratchpad.update("third") { $0.rules = [] }
        #expect(scratchpad.read("failed") { $0.rules } == nil, "between jobs for abandonedAfter (zero here)")
        #expect(scratchpad.count == 2)
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
