import Testing
@testable import RPCCore

@Suite struct GRPCMessageDeframerTests {
    let first: [UInt8] = Array("hello, gRPC".utf8)
    let second: [UInt8] = [0xDE, 0xAD, 0xBE]

    @Test func emptyDeframerHasNothing() throws {
        var deframer = GRPCMessageDeframer()
        #expect(try deframer.next() == nil)
        #expect(!deframer.hasPartialMessage)
        #expect(deframer.maxMessageSize == 4 * 1024 * 1024)
    }

    @Test func oneMessageInOneAppend() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append(framed([first]))
        #expect(try deframer.next() == first)
        #expect(try deframer.next() == nil)
        #expect(!deframer.hasPartialMessage)
    }

    @Test func everyTwoPieceSplitOfTwoMessages() throws {
        let wire = framed([first, second])
        for split in 0...wire.count {
            var deframer = GRPCMessageDeframer()
            deframer.append(wire[..<split])
            var messages = try deframer.drain()
            deframer.append(wire[split...])
            messages += try deframer.drain()
            #expect(messages == [first, second], "split at \(split)")
            #expect(!deframer.hasPartialMessage)
        }
    }

    @Test func everyThreePieceSplitIncludingAnEmptyMessage() throws {
        let expected = [first, [], second]
        let wire = framed(expected)
        for a in 0...wire.count {
            for b in a...wire.count {
                var deframer = GRPCMessageDeframer()
                var messages: [[UInt8]] = []
                for piece in [wire[..<a], wire[a..<b], wire[b...]] {
                    deframer.append(piece)
                    messages += try deframer.drain()
                }
                #expect(messages == expected, "splits at \(a), \(b)")
                #expect(!deframer.hasPartialMessage)
            }
        }
    }

    @Test func oneByteAtATime() throws {
        let expected = [first, [], second, [0]]
        let wire = framed(expected)
        var deframer = GRPCMessageDeframer()
        var messages: [[UInt8]] = []
        for index in wire.indices {
            deframer.append(wire[index...index])
            #expect(deframer.hasPartialMessage == (index != wire.count - 1 && !isMessageEnd(index, expected)))
            messages += try deframer.drain()
        }
        #expect(messages == expected)
    }

    /// Whether `index` is the last byte of one of `messages` in their framed form.
    private func isMessageEnd(_ index: Int, _ messages: [[UInt8]]) -> Bool {
        var end = -1
        for message in messages {
            end += 5 + message.count
            if end == index { return true }
        }
        return false
    }

    @Test func severalMessagesInOneAppendComeOutInOrder() throws {
        let messages = (0..<50).map { [UInt8](repeating: UInt8($0), count: $0 * 3) }
        var deframer = GRPCMessageDeframer()
        deframer.append(framed(messages))
        #expect(try deframer.drain() == messages)
        #expect(try deframer.next() == nil)
    }

    @Test func messagesBufferedAcrossAppendsBeforeReading() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append(framed([first]))
        deframer.append(framed([second, first]))
        deframer.append(framed([[]]))
        #expect(try deframer.drain() == [first, second, first, []])
        deframer.append(framed([second]))
        #expect(try deframer.drain() == [second])
    }

    @Test func zeroLengthMessages() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try deframer.next() == [])
        #expect(try deframer.next() == [])
        #expect(try deframer.next() == nil)
        #expect(!deframer.hasPartialMessage)
    }

    @Test func messageOfExactlyTheLimitIsAccepted() throws {
        let message = [UInt8](repeating: 7, count: 10)
        var deframer = GRPCMessageDeframer(maxMessageSize: 10)
        deframer.append(framed([message]))
        #expect(try deframer.next() == message)
    }

    @Test func messageOneOverTheLimitIsRejectedFromItsPrefix() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 10)
        deframer.append(prefix(length: 11))
        #expect(throws: RPCStatus(code: .resourceExhausted, message: "grpc: received message larger than max (11 vs. 10)")) {
            try deframer.next()
        }
    }

    @Test func defaultLimitIsFourMebibytes() throws {
        let limit = 4 * 1024 * 1024
        var deframer = GRPCMessageDeframer()
        let message = [UInt8](repeating: 1, count: limit)
        deframer.append(framed([message]))
        #expect(try deframer.next()?.count == limit)

        var overLimit = GRPCMessageDeframer()
        overLimit.append(prefix(length: UInt32(limit + 1)))
        #expect(throws: RPCStatus(code: .resourceExhausted, message: "grpc: received message larger than max (4194305 vs. 4194304)")) {
            try overLimit.next()
        }
    }

    @Test func oversizeLengthSplitInsideThePrefix() {
        var deframer = GRPCMessageDeframer()
        let header = prefix(length: 5_000_000)
        deframer.append(header[..<3])
        #expect(throws: Never.self) { try deframer.next() }
        #expect(deframer.hasPartialMessage)
        deframer.append(header[3...])
        #expect(throws: RPCStatus(code: .resourceExhausted, message: "grpc: received message larger than max (5000000 vs. 4194304)")) {
            try deframer.next()
        }
        #expect(!deframer.hasPartialMessage)
    }

    @Test func compressedFlagIsRejectedAtItsFirstByte() {
        var deframer = GRPCMessageDeframer()
        deframer.append([1])
        #expect(throws: RPCStatus(code: .internalError, message: "compressed message received without grpc-encoding")) {
            try deframer.next()
        }
    }

    @Test(arguments: [UInt8(2), 0x80, 0xFF])
    func otherFlagsAreInternalErrors(flag: UInt8) {
        var deframer = GRPCMessageDeframer()
        deframer.append(prefix(flag: flag, length: 1) + [0])
        #expect {
            try deframer.next()
        } throws: { error in
            (error as? RPCStatus)?.code == .internalError
        }
    }

    @Test func messagesBeforeAnErrorAreStillDelivered() throws {
        var deframer = GRPCMessageDeframer(maxMessageSize: 100)
        deframer.append(framed([first, second]) + prefix(length: 101) + [UInt8](repeating: 0, count: 101))
        #expect(try deframer.next() == first)
        #expect(try deframer.next() == second)
        #expect(throws: RPCStatus.self) { try deframer.next() }
    }

    @Test func failedStateIsStickyAndDropsInput() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 4)
        deframer.append(prefix(length: 5))
        let expected = RPCStatus(code: .resourceExhausted, message: "grpc: received message larger than max (5 vs. 4)")
        #expect(throws: expected) { try deframer.next() }
        #expect(throws: expected) { try deframer.next() }
        deframer.append(framed([[1, 2]]))
        deframer.append(prefix(flag: 1, length: 0))
        #expect(!deframer.hasPartialMessage)
        #expect(deframer.partialMessageCapacity == 0)
        #expect(throws: expected) { try deframer.next() }
    }

    @Test func partialMessageDetection() throws {
        var deframer = GRPCMessageDeframer()
        #expect(!deframer.hasPartialMessage)
        deframer.append([0, 0])
        #expect(deframer.hasPartialMessage)
        deframer.append([0, 0, 3, 1])
        #expect(deframer.hasPartialMessage)
        #expect(try deframer.next() == nil)
        deframer.append([2, 3])
        #expect(!deframer.hasPartialMessage)
        #expect(try deframer.next() == [1, 2, 3])
        deframer.append(prefix(length: 0))
        #expect(!deframer.hasPartialMessage)
        #expect(try deframer.next() == [])
    }

    @Test func declaredLengthIsNotPreallocated() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append(prefix(length: 4 * 1024 * 1024) + [42])
        #expect(deframer.hasPartialMessage)
        #expect(deframer.partialMessageCapacity < 1024)
        deframer.append([UInt8](repeating: 1, count: 1000))
        #expect(deframer.partialMessageCapacity < 8 * 1024)
    }

    @Test("a large message's body jumps to 128 KiB only after a full DATA frame of it arrived")
    func largeBodiesSkipTheSmallBlocks() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append(prefix(length: 1 << 20))
        deframer.append([UInt8](repeating: 1, count: GRPCMessageDeframer.smallBodySize))
        #expect(deframer.partialMessageCapacity < 2 * GRPCMessageDeframer.smallBodySize)
        deframer.append([UInt8](repeating: 1, count: 1024))
        #expect(deframer.partialMessageCapacity >= GRPCMessageDeframer.largeBodySize)
        #expect(deframer.partialMessageCapacity < 2 * GRPCMessageDeframer.largeBodySize)

        var small = GRPCMessageDeframer()
        small.append(prefix(length: 100 << 10))
        small.append([UInt8](repeating: 1, count: 20 << 10))
        #expect(small.partialMessageCapacity < 64 << 10, "a message under 128 KiB grows by doubling")
    }

    @Test func bufferNeverGrowsPastTheDeclaredLength() throws {
        let message = [UInt8](repeating: 3, count: 1000)
        let wire = framed([message])
        var deframer = GRPCMessageDeframer()
        deframer.append(wire[..<6])
        var index = 6
        var chunk = 1
        while index < wire.count - 1 {
            let end = min(index + chunk, wire.count - 1)
            deframer.append(wire[index..<end])
            #expect(deframer.partialMessageCapacity <= 1000 + 32)  // allocator rounding at most
            index = end
            chunk *= 3
        }
        deframer.append(wire[index...])
        #expect(try deframer.next() == message)
    }

    @Test func randomMessagesAndRandomSplits() throws {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<300 {
            let messages = (0..<Int(random.next() % 6)).map { _ in
                (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            let wire = framed(messages)
            var deframer = GRPCMessageDeframer(maxMessageSize: 300)
            var received: [[UInt8]] = []
            var index = 0
            while index < wire.count {
                let end = min(wire.count, index + 1 + Int(random.next() % 64))
                deframer.append(wire[index..<end])
                received += try deframer.drain()
                index = end
            }
            #expect(received == messages)
            #expect(!deframer.hasPartialMessage)
        }
    }
}

/// A small deterministic generator, so that random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
