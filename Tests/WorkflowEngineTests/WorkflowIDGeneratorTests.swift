import Testing
@testable import WorkflowEngine

@Suite("WorkflowIDGenerator")
struct WorkflowIDGeneratorTests {
    private static let digits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The 60-bit value an id spells in its 12 base-32 digits.
    private static func value(of id: String) -> UInt64 {
        id.utf8.dropFirst(3).reduce(0) { value, digit in
            value << 5 | UInt64(digits.firstIndex(of: digit)!)
        }
    }

    @Test("ids are well formed, carry their millisecond, and strictly increase within the millisecond and across")
    func idsIncrease() {
        var generator = WorkflowIDGenerator()
        let ids = (0..<1_000).map { generator.next(nowMs: 1_733_300_000_000 + Int64($0 / 100)) }
        let later = generator.next(nowMs: 1_733_300_001_000)

        #expect(ids.allSatisfy(WorkflowIDGenerator.isWellFormed))
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Self.value(of: ids[0]) >> 18 == 1_733_300_000_000)
        #expect(Self.value(of: later) >> 18 == 1_733_300_001_000)
    }

    @Test("two generators draw different random bits (each is seeded from the system)")
    func generatorsDiffer() {
        var first = WorkflowIDGenerator()
        var second = WorkflowIDGenerator()
        let times = (0..<8).map { 1_733_300_000_000 + Int64($0) * 1_000 }
        let randomBits: (inout WorkflowIDGenerator) -> [UInt64] = { generator in
            times.map { Self.value(of: generator.next(nowMs: $0)) & ((1 << 18) - 1) }
        }

        let drawnByFirst = randomBits(&first)
        let drawnBySecond = randomBits(&second)

        #expect(drawnByFirst != drawnBySecond)
        #expect(Set(drawnByFirst).count > 1, "the bits change from id to id")
    }
}
