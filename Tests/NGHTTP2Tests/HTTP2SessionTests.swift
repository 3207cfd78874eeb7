import HeaderFields
@testable import NGHTTP2
import Testing

/// Records what a session decodes and serves bodies from a queue of scripted reads.
private final class RecordingPeer: HTTP2SessionDelegate {
    var headers: [(streamID: Int32, fields: [HeaderField], endStream: Bool)] = []
    var data: [Int32: [UInt8]] = [:]
    var ended: Set<Int32> = []
    var closed: [Int32: UInt32] = [:]
    var sentEnd: Set<Int32> = []
    /// Body bytes still to send, by stream, and how each body ends.
    var bodies: [Int32: [UInt8]] = [:]
    var trailers: [Int32: [HeaderField]] = [:]
    var deferUntilResumed: Set<Int32> = []
    /// Streams whose header list the session rejected as too large.
    var rejected: [Int32] = []

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool) {
        self.headers.append((streamID, headers, endStream))
        if endStream { ended.insert(streamID) }
    }

    func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32) {
        rejected.append(streamID)
    }

    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32) {
        self.data[streamID, default: []].append(contentsOf: data)
    }

    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32) {
        ended.insert(streamID)
    }

    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32) {
        sentEnd.insert(streamID)
    }

    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32) {
        closed[streamID] = errorCode
    }

    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead {
        if deferUntilResumed.contains(streamID) { return .deferred }
        let body = bodies[streamID] ?? []
        let count = min(buffer.count, body.count)
        buffer.copyBytes(from: body.prefix(count))
        bodies[streamID] = Array(body.dropFirst(count))
        if count == body.count {
            return .end(bytes: count, trailers: trailers[streamID])
        }
        return .bytes(count)
    }
}

/// A client and a server session wired back to back in memory.
private struct Pair {
    let client = RecordingPeer()
    let server = RecordingPeer()
    let clientSession: HTTP2Session
    let serverSession: HTTP2Session

    init(serverSettings: HTTP2Settings = HTTP2Settings()) throws {
        clientSession = try HTTP2Session(role: .client, delegate: client)
        serverSession = try HTTP2Session(role: .server, settings: serverSettings, delegate: server)
    }

    /// Moves bytes both ways until neither side has anything to send.
    func pump() throws {
        var moved = true
        while moved {
            moved = false
            var toServer: [UInt8] = []
            try clientSession.send(maxBytes: .max) { toServer.append(contentsOf: $0) }
            if !toServer.isEmpty {
                moved = true
                try toServer.withUnsafeBytes { try serverSession.receive($0) }
            }
            var toClient: [UInt8] = []
            try serverSession.send(maxBytes: .max) { toClient.append(contentsOf: $0) }
            if !toClient.isEmpty {
                moved = true
                try toClient.withUnsafeBytes { try clientSession.receive($0) }
            }
        }
    }
}

private let requestHeaders = [
    HeaderField(name: ":method", value: "POST"),
    HeaderField(name: ":scheme", value: "http"),
    HeaderField(name: ":authority", value: "localhost"),
    HeaderField(name: ":path", value: "/echo"),
    HeaderField(name: "content-type", value: "application/grpc"),
]

@Suite struct HTTP2SessionTests {
    @Test func requestAndResponseWithTrailersCrossInMemory() throws {
        let pair = try Pair()
        pair.client.bodies[1] = Array("hello".utf8)
        let streamID = try pair.clientSession.submitRequest(headers: requestHeaders, hasBody: true)
        #expect(streamID == 1)
        try pair.pump()

        #expect(pair.server.headers.count == 1)
        #expect(pair.server.headers[0].fields.contains(HeaderField(name: ":path", value: "/echo")))
        #expect(pair.server.data[1] == Array("hello".utf8))
        #expect(pair.server.ended.contains(1))

        pair.server.bodies[1] = Array(repeating: 7, count: 100_000)
        pair.server.trailers[1] = [HeaderField(name: "grpc-status", value: "0")]
        try pair.serverSession.submitResponse(streamID: 1, headers: [HeaderField(name: ":status", value: "200")], hasBody: true)
        try pair.pump()

        #expect(pair.client.data[1]?.count == 100_000)
        #expect(pair.client.headers.map(\.fields) == [
            [HeaderField(name: ":status", value: "200")],
            [HeaderField(name: "grpc-status", value: "0")],
        ])
        #expect(pair.client.headers.last?.endStream == true)
        #expect(pair.server.sentEnd.contains(1))
        #expect(pair.server.closed[1] == 0)
    }

    @Test func deferredBodyWaitsForResume() throws {
        let pair = try Pair()
        _ = try pair.clientSession.submitRequest(headers: requestHeaders, hasBody: false)
        try pair.pump()
        pair.server.deferUntilResumed.insert(1)
        pair.server.bodies[1] = [1, 2, 3]
        try pair.serverSession.submitResponse(streamID: 1, headers: [HeaderField(name: ":status", value: "200")], hasBody: true)
        try pair.pump()
        #expect(pair.client.data[1] == nil)

        pair.server.deferUntilResumed.remove(1)
        #expect(pair.serverSession.resumeData(streamID: 1))
        try pair.pump()
        #expect(pair.client.data[1] == [1, 2, 3])
        #expect(pair.client.ended.contains(1))
    }

    @Test func trailersOnlyHeadersEndTheStream() throws {
        let pair = try Pair()
        _ = try pair.clientSession.submitRequest(headers: requestHeaders, hasBody: false)
        try pair.pump()
        try pair.serverSession.submitHeaders(
            streamID: 1,
            headers: [HeaderField(name: ":status", value: "200"), HeaderField(name: "grpc-status", value: "12")],
            endStream: true
        )
        try pair.pump()
        #expect(pair.client.headers.count == 1)
        #expect(pair.client.headers[0].endStream)
        #expect(pair.client.closed[1] == 0)
    }

    @Test func resetStreamReachesThePeer() throws {
        let pair = try Pair()
        _ = try pair.clientSession.submitRequest(headers: requestHeaders, hasBody: false)
        try pair.pump()
        pair.clientSession.resetStream(streamID: 1, errorCode: 8)
        try pair.pump()
        #expect(pair.server.closed[1] == 8)
    }

    @Test func garbageInputIsAFatalError() throws {
        let server = RecordingPeer()
        let session = try HTTP2Session(role: .server, delegate: server)
        let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(throws: HTTP2Error.self) {
            try garbage.withUnsafeBytes { try session.receive($0) }
        }
    }

    @Test func headerValuesSurviveBothDirections() throws {
        let pair = try Pair()
        let custom = requestHeaders + [HeaderField(name: "x-note", value: "ünïcode ✓"), HeaderField(name: "x-empty", value: "")]
        _ = try pair.clientSession.submitRequest(headers: custom, hasBody: false)
        try pair.pump()
        #expect(pair.server.headers.first?.fields == custom)
        #expect(pair.server.headers.first?.endStream == true)
    }

    /// A block's fields are shared with the previous block's where the bytes are the same: each
    /// block must still decode to exactly what was sent, whether a field repeats in place,
    /// changes to a value of the same length, moves, or is new.
    @Test func consecutiveBlocksDecodeToWhatWasSentWhateverTheyShare() throws {
        let pair = try Pair()
        let blocks = [
            requestHeaders + [HeaderField(name: "user-agent", value: "grpc-python/1.71"), HeaderField(name: "x-a", value: "1")],
            requestHeaders + [HeaderField(name: "user-agent", value: "grpc-python/1.71"), HeaderField(name: "x-a", value: "1")],
            requestHeaders.map { $0.name == ":path" ? HeaderField(name: ":path", value: "/ohce") : $0 }
                + [HeaderField(name: "user-agent", value: "grpc-python/1.72"), HeaderField(name: "x-a", value: "2")],
            requestHeaders.prefix(4).reversed() + [HeaderField(name: "x-a", value: "2")] + requestHeaders.suffix(1)
                + [HeaderField(name: "x-b", value: "grpc-python/1.72"), HeaderField(name: "x-a", value: "1")],
            Array(requestHeaders.prefix(4)),
            requestHeaders + [HeaderField(name: "x-empty", value: ""), HeaderField(name: "x-long", value: String(repeating: "v", count: 3_000))],
            requestHeaders + [HeaderField(name: "x-empty", value: ""), HeaderField(name: "x-long", value: String(repeating: "v", count: 3_000))],
            requestHeaders + [HeaderField(name: "x-empty", value: "")],
        ]
        for fields in blocks {
            _ = try pair.clientSession.submitRequest(headers: fields, hasBody: false)
            try pair.pump()
        }
        #expect(pair.server.headers.map(\.fields) == blocks)
        #expect(pair.serverSession.bufferedHeaderListSize == 0)
    }
}

/// Hand-made HTTP/2 frames and HPACK, for input a well-behaved libnghttp2 peer never sends.
private enum Raw {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let headersType: UInt8 = 0x1
    static let continuationType: UInt8 = 0x9
    static let endStream: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    static func frame(type: UInt8, flags: UInt8, streamID: Int32, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        let id = UInt32(streamID)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + payload
    }

    /// The client preface and an empty SETTINGS frame.
    static let start = preface + frame(type: 0x4, flags: 0, streamID: 0, [])

    /// An HPACK integer with an `prefixBits`-bit prefix whose high bits are `pattern` (RFC 7541 §5.1).
    static func integer(_ value: Int, prefixBits: Int, pattern: UInt8) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else { return [pattern | UInt8(value)] }
        var bytes = [pattern | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest % 128) | 0x80)
            rest /= 128
        }
        return bytes + [UInt8(rest)]
    }

    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefixBits: 7, pattern: 0) + Array(text.utf8)
    }

    /// `:method POST`, `:scheme http` (static table), `:path` and `:authority` (literals without indexing).
    static let requestStart: [UInt8] = [0x83, 0x86] + [0x04] + string("/echo") + [0x01] + string("localhost")

    /// A literal field with incremental indexing and a new name: it becomes dynamic entry 62.
    static func indexed(_ name: String, _ value: String) -> [UInt8] {
        [0x40] + string(name) + string(value)
    }

    /// A reference to the newest dynamic table entry, one byte on the wire.
    static let newestEntry: [UInt8] = [0xBE]
}

@Suite("Header lists over SETTINGS_MAX_HEADER_LIST_SIZE")
struct HTTP2SessionHeaderLimitTests {
    @Test("many large headers reset only their stream; the HPACK state stays in step")
    func manyLargeHeadersResetTheirStream() throws {
        let pair = try Pair()
        let large = (0..<20).map { HeaderField(name: "x-large-\($0)", value: String(repeating: "v", count: 1000)) }
        _ = try pair.clientSession.submitRequest(headers: requestHeaders + large, hasBody: false)
        try pair.pump()

        #expect(pair.server.rejected == [1])
        #expect(pair.server.headers.count == 0)
        #expect(pair.server.closed[1] == 0xB)
        #expect(pair.client.closed[1] == 0xB, "the client sees RST_STREAM(ENHANCE_YOUR_CALM)")
        #expect(pair.serverSession.bufferedHeaderListSize == 0)

        // The next request reuses what the client's encoder indexed during the rejected block.
        let fitting = requestHeaders + large.prefix(3)
        let next = try pair.clientSession.submitRequest(headers: fitting, hasBody: false)
        try pair.pump()
        #expect(pair.server.headers.map(\.streamID) == [next])
        #expect(pair.server.headers.first?.fields.map(\.name) == fitting.map(\.name))
        let sameFields = pair.server.headers.first?.fields == fitting
        #expect(sameFields, "the values differ")
    }

    @Test("a repeated indexed header (HPACK bomb) is cut off at the limit, not decoded into memory")
    func hpackBomb() throws {
        let recorder = RecordingPeer()
        let session = try HTTP2Session(role: .server, delegate: recorder)
        let value = String(repeating: "a", count: 4000)
        // ~14 KB on the wire that would decode to 10,001 fields of 4 KB: 40 MB.
        let bomb = Raw.requestStart + Raw.indexed("x-bomb", value) + Array(repeating: Raw.newestEntry[0], count: 10_000)
        let input = Raw.start + Raw.frame(type: Raw.headersType, flags: Raw.endHeaders | Raw.endStream, streamID: 1, bomb)
        try input.withUnsafeBytes { try session.receive($0) }

        #expect(recorder.rejected == [1])
        #expect(recorder.headers.count == 0)
        #expect(session.bufferedHeaderListSize == 0)
        var output: [UInt8] = []
        try session.send(maxBytes: .max) { output.append(contentsOf: $0) }
        #expect(recorder.closed[1] == 0xB)

        // One reference to the same entry fits: the decoder's table survived the rejected block.
        let single = Raw.requestStart + Raw.newestEntry
        let second = Raw.frame(type: Raw.headersType, flags: Raw.endHeaders | Raw.endStream, streamID: 3, single)
        try second.withUnsafeBytes { try session.receive($0) }
        #expect(recorder.headers.count == 1)
        let bombField = recorder.headers.first?.fields.last == HeaderField(name: "x-bomb", value: value)
        #expect(bombField, "the entry indexed by the rejected block decodes as x-bomb")
        #expect(session.wantsRead)
    }

    @Test("a block spread over CONTINUATION frames never holds more than the limit")
    func continuationFramesAreBounded() throws {
        let recorder = RecordingPeer()
        let session = try HTTP2Session(role: .server, delegate: recorder)
        let value = String(repeating: "b", count: 3000)
        let first = Raw.requestStart + Raw.indexed("x-grow", value) + Raw.newestEntry
        let input = Raw.start + Raw.frame(type: Raw.headersType, flags: Raw.endStream, streamID: 1, first)
        try input.withUnsafeBytes { try session.receive($0) }
        let held = session.bufferedHeaderListSize
        #expect(held > 6000 && held <= Int(HTTP2Settings().maxHeaderListSize))

        // Debian's libnghttp2 1.52 carries the CVE-2024-28182 fix: more than 8 CONTINUATION frames
        // end the connection, so stay below that.
        for _ in 0..<5 {
            let more = Raw.frame(type: Raw.continuationType, flags: 0, streamID: 1, Array(repeating: Raw.newestEntry[0], count: 8000))
            try more.withUnsafeBytes { try session.receive($0) }
            #expect(session.bufferedHeaderListSize == 0)
        }
        let last = Raw.frame(type: Raw.continuationType, flags: Raw.endHeaders, streamID: 1, Raw.newestEntry)
        try last.withUnsafeBytes { try session.receive($0) }
        #expect(recorder.rejected == [1])
        #expect(recorder.headers.count == 0)
        try session.send(maxBytes: .max) { _ in }
        #expect(recorder.closed[1] == 0xB)
        #expect(session.wantsRead)
    }
}
