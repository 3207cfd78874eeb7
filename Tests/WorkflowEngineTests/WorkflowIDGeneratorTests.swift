import Testing
@testable import WorkflowEngine

@Suite("WorkflowIDGenerator")
struct WorkflowIDGeneratorTests {
    /// The 60-bit value an id spells in its 12 base-32 digits.
    private static func value(of id: String) throws -> UInt64 {
        try id.utf8.dropFirst(3).reduce(0) { value, digit in
            value << 5 | UInt64(try #require(WorkflowIDGenerator.digits.firstIndex(of: digit)))
        }
    }

    /// The random bits of `id`.
    private static func randomBits(of id: String) throws -> UInt64 {
        try value(of: id) & ((1 << UInt64(WorkflowIDGenerator.randomBits)) - 1)
    }

    @Test("ids are well formed, carry their millisecond, and strictly increase within the millisecond and across")
    func idsIncrease() throws {
        var generator = WorkflowIDGenerator()
        let ids = (0..<1_000).map { generator.next(nowMs: 1_733_300_000_000 + Int64($0 / 100)) }
        let later = generator.next(nowMs: 1_733_300_001_000)

        #expect(ids.allSatisfy(WorkflowIDGenerator.isWellFormed))
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try Self.value(of: ids[0]) >> 18 == 1_733_300_000_000)
        #expect(try Self.value(of: later) >> 18 == 1_733_300_001_000)
    }

    @Test("the random bits are the top 18 of SplitMix64's outputs (0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F from seed 0)")
    func splitMix64() throws {
        var generator = WorkflowIDGenerator(seed: 0)
        let times = [1_733_300_000_000, 1_733_300_001_000, 1_733_300_002_000] as [Int64]

        let drawn = try times.map { try Self.randomBits(of: generator.next(nowMs: $0)) }

        #expect(drawn == [0xE220A8397B1DCDAF >> 46, 0x6E789E6AA1B965F4 >> 46, 0x06C45D188009454F >> 46])
    }

    @Test("two generators draw different random bits (each is seeded from the system)")
    func generatorsDiffer() throws {
        var first = WorkflowIDGenerator()
        var second = WorkflowIDGenerator()
        let times = (0..<8).map { 1_733_300_000_000 + Int64($0) * 1_000 }

        let drawnByFirst = try times.map { try Self.randomBits(of: first.next(nowMs: $0)) }
        let drawnBySecond = try times.map { try Self.randomBits(of: second.next(nowMs: $0)) }

        #expect(drawnByFirst != drawnBySecond)
        #expect(Set(drawnByFirst).count > 1, "the bits change from id to id")
    }
}
