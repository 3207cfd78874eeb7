@testable import HTTP2Transport
import Testing

@Suite struct PendingBytesTests {
    @Test("bytes come out in order, in pieces as large as the buffer")
    func takesInPieces() {
        var pending = PendingBytes(Array(0..<10))
        var taken: [UInt8] = []
        var sizes: [Int] = []
        withUnsafeTemporaryAllocation(byteCount: 4, alignment: 1) { buffer in
            while !pending.isEmpty {
                let count = pending.take(into: buffer)
                sizes.append(count)
                taken.append(contentsOf: buffer.prefix(count))
            }
            #expect(pending.take(into: buffer) == 0)
        }
        #expect(taken == Array(0..<10))
        #expect(sizes == [4, 4, 2])
        #expect(pending.count == 0)
    }

    @Test("empty bytes are empty at once")
    func empty() {
        var pending = PendingBytes()
        #expect(pending.isEmpty)
        withUnsafeTemporaryAllocation(byteCount: 8, alignment: 1) { buffer in
            #expect(pending.take(into: buffer) == 0)
        }
    }
}
