import Testing
import WorkflowModel

/// `EntityReference` keeps its strings in one box its copies share: a copy must still behave as
/// an independent value, and equality must compare the strings, not the boxes.
@Suite("EntityReference as a value")
struct EntityReferenceValueTests {
    @Test("changing a copy leaves the original as it was, field by field")
    func copiesAreIndependent() {
        let original = EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "Product")
        var copy = original
        copy.tag = "P-102"
        copy.route = "/products/102"
        copy.id = "102"
        copy.type = "Part"

        #expect(original.tag == "P-101" && original.route == "/products/101")
        #expect(original.id == "101" && original.type == "Product")
        #expect(copy.tag == "P-102" && copy.route == "/products/102" && copy.id == "102" && copy.type == "Part")
        #expect(copy != original)
    }

    @Test("references made apart with the same strings are equal and hash alike; any field tells them apart")
    func equalityIsByContent() {
        let first = EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "Product")
        let second = EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "Product")

        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        for changed in [\EntityReference.tag, \.route, \.id, \.type] {
            var other = second
            other[keyPath: changed] += "x"
            #expect(other != first, "\(changed)")
        }
    }

    @Test("a reference is one word, and shows its strings, not its box")
    func layoutAndDescription() {
        let entity = EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "Product")

        #expect(MemoryLayout<EntityReference>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<EntityReference?>.size == MemoryLayout<Int>.size)
        #expect(String(describing: entity) == #"EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "Product")"#)
    }
}
