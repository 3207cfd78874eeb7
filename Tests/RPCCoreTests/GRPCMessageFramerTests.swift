import Testing
import RPCCore

@Suite struct GRPCMessageFramerTests {
    @Test func framesWithFlagAndBigEndianLength() {
        var buffer: [UInt8] = []
        GRPCMessageFramer.frame([1, 2, 3], into: &buffer)
        #expect(buffer == [0, 0, 0, 0, 3, 1, 2, 3])
    }

    @Test func appendsAfterExistingBytes() {
        var buffer: [UInt8] = [9, 9]
        GRPCMessageFramer.frame([7], into: &buffer)
        GRPCMessageFramer.frame([UInt8](), into: &buffer)
        #expect(buffer == [9, 9, 0, 0, 0, 0, 1, 7, 0, 0, 0, 0, 0])
    }

    @Test func framesSlicesAndRawBuffers() {
        let bytes: [UInt8] = [1, 2, 3, 4, 5]
        var fromSlice: [UInt8] = []
        GRPCMessageFramer.frame(bytes[1..<3], into: &fromSlice)
        #expect(fromSlice == [0, 0, 0, 0, 2, 2, 3])
        var fromRaw: [UInt8] = []
        bytes.withUnsafeBytes { GRPCMessageFramer.frame($0, into: &fromRaw) }
        #expect(fromRaw == [0, 0, 0, 0, 5, 1, 2, 3, 4, 5])
    }

    @Test func prefixEncodesAllFourLengthBytes() {
        var buffer: [UInt8] = []
        GRPCMessageFramer.appendPrefix(length: 0x0102_0304, into: &buffer)
        #expect(buffer == [0, 1, 2, 3, 4])
        buffer.removeAll()
        GRPCMessageFramer.appendPrefix(length: Int(UInt32.max), into: &buffer)
        #expect(buffer == [0, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func framedLargeMessageHasItsLength() {
        let message = [UInt8](repeating: 0xAB, count: 70_000)
        var buffer: [UInt8] = []
        GRPCMessageFramer.frame(message, into: &buffer)
        #expect(buffer.count == 70_005)
        #expect(Array(buffer[0..<5]) == [0, 0, 0x01, 0x11, 0x70])
        #expect(buffer[5...].allSatisfy { $0 == 0xAB })
    }
}
