import NGHTTP2
import Testing

/// Records what a session decodes and serves bodies from a queue of scripted reads.
private final class RecordingPeer: HTTP2SessionDelegate {
    var headers: [(streamID: Int32, fields: [HTTP2HeaderField], endStream: Bool)] = []
    var data: [Int32: [UInt8]] = [:]
    var ended: Set<Int32> = []
    var closed: [Int32: UInt32] = [:]
    var sentEnd: Set<Int32> = []
    /// Body bytes still to send, by stream, and how each body ends.
    var bodies: [Int32: [UInt8]] = [:]
    var trailers: [Int32: [HTTP2HeaderField]] = [:]
    var deferUntilResumed: Set<Int32> = []

    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HTTP2HeaderField], streamID: Int32, endStream: Bool) {
        self.headers.append((streamID, headers, endStream))
        if endStream { ended.insert(streamID) }
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

    init() throws {
        clientSession = try HTTP2Session(role: .client, delegate: client)
        serverSession = try HTTP2Session(role: .server, delegate: server)
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
    HTTP2HeaderField(":method", "POST"),
    HTTP2HeaderField(":scheme", "http"),
    HTTP2HeaderField(":authority", "localhost"),
    HTTP2HeaderField(":path", "/echo"),
    HTTP2HeaderField("content-type", "application/grpc"),
]

@Suite struct HTTP2SessionTests {
    @Test func requestAndResponseWithTrailersCrossInMemory() throws {
        let pair = try Pair()
        pair.client.bodies[1] = Array("hello".utf8)
        let streamID = try pair.clientSession.submitRequest(headers: requestHeaders, hasBody: true)
        #expect(streamID == 1)
        try pair.pump()

        #expect(pair.server.headers.count == 1)
        #expect(pair.server.headers[0].fields.contains(HTTP2HeaderField(":path", "/echo")))
        #expect(pair.server.data[1] == Array("hello".utf8))
        #expect(pair.server.ended.contains(1))

        pair.server.bodies[1] = Array(repeating: 7, count: 100_000)
        pair.server.trailers[1] = [HTTP2HeaderField("grpc-status", "0")]
        try pair.serverSession.submitResponse(streamID: 1, headers: [HTTP2HeaderField(":status", "200")], hasBody: true)
        try pair.pump()

        #expect(pair.client.data[1]?.count == 100_000)
        #expect(pair.client.headers.map(\.fields) == [
            [HTTP2HeaderField(":status", "200")],
            [HTTP2HeaderField("grpc-status", "0")],
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
        try pair.serverSession.submitResponse(streamID: 1, headers: [HTTP2HeaderField(":status", "200")], hasBody: true)
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
            headers: [HTTP2HeaderField(":status", "200"), HTTP2HeaderField("grpc-status", "12")],
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
        let custom = requestHeaders + [HTTP2HeaderField("x-note", "ünïcode ✓"), HTTP2HeaderField("x-empty", "")]
        _ = try pair.clientSession.submitRequest(headers: custom, hasBody: false)
        try pair.pump()
        #expect(pair.server.headers.first?.fields == custom)
        #expect(pair.server.headers.first?.endStream == true)
    }
}
