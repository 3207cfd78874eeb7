import NIOCore
import NIOPosix
import Synchronization

/// One HTTP/2 frame as it crossed the wire (header blocks stay HPACK-encoded).
struct RawFrame: Sendable {
    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let goAway: UInt8 = 0x7
    static let continuation: UInt8 = 0x9

    static let endStream: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    var type: UInt8
    var flags: UInt8
    var streamID: Int32
    var payload: [UInt8]

    /// The frame's bytes: the 9-byte header, then the payload.
    var bytes: [UInt8] {
        let length = payload.count
        let id = UInt32(streamID)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + payload
    }

    /// The error code of a RST_STREAM frame.
    var errorCode: UInt32? {
        guard type == Self.rstStream, payload.count == 4 else { return nil }
        return payload.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// Hand-made HPACK (RFC 7541) for requests a libnghttp2 client would never encode.
enum RawHPACK {
    /// An integer with a `prefixBits`-bit prefix whose high bits are `pattern` (§5.1).
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

    /// A string literal without Huffman coding (§5.2).
    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefixBits: 7, pattern: 0) + Array(text.utf8)
    }

    /// A literal field without indexing whose name is static table entry `nameIndex` (§6.2.2).
    static func literal(nameIndex: Int, _ value: String) -> [UInt8] {
        integer(nameIndex, prefixBits: 4, pattern: 0) + string(value)
    }

    /// A literal field without indexing with a new name (§6.2.2).
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        [0x00] + string(name) + string(value)
    }

    /// A literal field with incremental indexing and a new name: it becomes dynamic entry 62 (§6.2.1).
    static func indexed(_ name: String, _ value: String) -> [UInt8] {
        [0x40] + string(name) + string(value)
    }

    /// A reference to the newest dynamic table entry: one byte on the wire (§6.1).
    static let newestEntry: UInt8 = 0xBE

    /// `:method POST`, `:scheme http`, `:path`, `:authority`, `content-type: application/grpc`,
    /// all without touching the dynamic table.
    static func grpcRequest(path: String) -> [UInt8] {
        [0x83, 0x86] + literal(nameIndex: 4, path) + literal(nameIndex: 1, "127.0.0.1")
            + literal(nameIndex: 31, "application/grpc")
    }
}

/// A client connection that writes bytes exactly as given and collects the frames the server
/// sends, for requests a libnghttp2 client never produces.
final class RawHTTP2Connection: Sendable {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to 127.0.0.1 and sends the client preface and an empty SETTINGS frame.
    static func connect(port: Int, group: any EventLoopGroup) async throws -> RawHTTP2Connection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let connection = RawHTTP2Connection(channel: channel, collector: collector)
        try await connection.send(preface + RawFrame(type: RawFrame.settings, flags: 0, streamID: 0, payload: []).bytes)
        return connection
    }

    /// Writes bytes as they are.
    func send(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Writes frames as they are.
    func send(_ frames: RawFrame...) async throws {
        try await send(frames.flatMap(\.bytes))
    }

    /// The complete frames the server sent so far.
    var frames: [RawFrame] { collector.frames }

    /// Whether the server closed the connection.
    var isClosed: Bool { !channel.isActive }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        private let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }

        var frames: [RawFrame] {
            received.withLock { bytes in
                var frames: [RawFrame] = []
                var offset = 0
                while bytes.count - offset >= 9 {
                    let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                    guard bytes.count - offset - 9 >= length else { break }
                    let id = bytes[(offset + 5)..<(offset + 9)].reduce(0) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
                    frames.append(RawFrame(
                        type: bytes[offset + 3], flags: bytes[offset + 4], streamID: Int32(id),
                        payload: Array(bytes[(offset + 9)..<(offset + 9 + length)])
                    ))
                    offset += 9 + length
                }
                return frames
            }
        }
    }
}
