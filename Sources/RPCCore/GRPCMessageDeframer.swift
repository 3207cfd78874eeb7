/// Reassembles gRPC length-prefixed messages from the bytes of a request stream.
///
/// HTTP/2 DATA frames and gRPC messages do not line up: one message can span many frames, one
/// frame can hold several messages, and a frame can end inside the 5-byte prefix. Feed every
/// DATA payload to ``append(_:)`` as it arrives, then call ``next()`` until it returns `nil`.
///
/// ```swift
/// var deframer = GRPCMessageDeframer()
/// deframer.append(payload)
/// while let message = try deframer.next() {
///     handle(message)
/// }
/// // at END_STREAM:
/// if deframer.hasPartialMessage { /* answer INTERNAL */ }
/// ```
///
/// ## Errors
/// Errors are found from the prefix alone, as soon as its bytes arrive, so no body bytes of
/// a rejected message are ever buffered:
/// - a declared length over ``maxMessageSize`` → RESOURCE_EXHAUSTED
///   (`grpc: received message larger than max (5000000 vs. 4194304)`);
/// - compressed flag 1 → INTERNAL (only the identity encoding is supported, and a request
///   with another `grpc-encoding` is rejected before any message);
/// - any other flag but 0 → INTERNAL.
///
/// Messages completed before the error are still returned by ``next()`` first; then
/// ``next()`` throws the error, and keeps throwing it. A failed deframer drops all further
/// input.
///
/// ## Memory
/// A partial message is grown geometrically as its bytes arrive, never beyond its declared
/// length: a peer that declares 4 MiB and sends one byte costs one byte, not 4 MiB. Besides
/// the partial message and at most 5 prefix bytes, the deframer holds only the complete
/// messages of the latest ``append(_:)`` calls that ``next()`` has not returned yet; the
/// HTTP/2 flow-control window bounds those.
package struct GRPCMessageDeframer: Sendable {
    /// The default limit on the length of one received message: 4 MiB, as in gRPC.
    package static let defaultMaxMessageSize = 4 * 1024 * 1024

    /// The largest message length accepted; longer messages fail with RESOURCE_EXHAUSTED.
    package let maxMessageSize: Int

    /// How many bytes of the current prefix have been read (0..<5); 0 while in a body.
    private var prefixBytesRead = 0
    /// The length field of the current prefix, accumulated byte by byte.
    private var prefixLength: UInt32 = 0
    /// Whether a body is being collected in ``body``.
    private var inBody = false
    /// The declared length of the body being collected.
    private var bodyLength = 0
    /// The body bytes collected so far.
    private var body: [UInt8] = []
    /// The oldest complete message not yet returned. Kept outside ``moreReady`` so that the
    /// usual single message of a unary call needs no queue allocation.
    /// Invariant: when nil, ``moreReady`` holds nothing after ``moreReadyStart``.
    private var firstReady: [UInt8]?
    /// Later complete messages, in order, from ``moreReadyStart`` on.
    private var moreReady: [[UInt8]] = []
    private var moreReadyStart = 0
    /// The error that stopped the deframer, if any.
    private var failure: RPCStatus?

    /// Creates a deframer.
    ///
    /// - Parameter maxMessageSize: The largest message length accepted, in bytes; 4 MiB by
    ///   default, as in gRPC.
    package init(maxMessageSize: Int = GRPCMessageDeframer.defaultMaxMessageSize) {
        precondition(maxMessageSize >= 0, "maxMessageSize must not be negative")
        self.maxMessageSize = maxMessageSize
    }

    /// Whether the bytes received so far end inside a message (inside its prefix or body).
    ///
    /// Check it when the request stream ends: a stream that ends mid-message is answered
    /// with INTERNAL. Complete messages not yet returned by ``next()`` do not count.
    package var hasPartialMessage: Bool {
        inBody || prefixBytesRead > 0
    }

    /// How many received bytes the partial message holds (its prefix included); 0 between messages.
    ///
    /// Complete messages not yet returned by ``next()`` do not count.
    package var partialByteCount: Int {
        inBody ? GRPCMessageFramer.prefixLength + body.count : prefixBytesRead
    }

    /// Consumes the next piece of the stream's bytes.
    ///
    /// Complete messages become available through ``next()``; a detected error is thrown by
    /// ``next()`` once the messages before it were returned. After an error the bytes are
    /// dropped.
    ///
    /// - Parameter bytes: A DATA frame payload, or any piece of the stream; only read
    ///   during the call.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            if inBody {
                let take = Swift.min(bodyLength - body.count, count - index)
                appendToBody(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
                if body.count == bodyLength {
                    inBody = false
                    enqueue(body)
                    body = []
                }
            } else if prefixBytesRead == 0, count - index >= GRPCMessageFramer.prefixLength {
                // Fast path: a whole prefix, and often the whole message, in this piece.
                guard acceptFlag(bytes[index]) else { return }
                let length = Int(bytes[index + 1]) << 24 | Int(bytes[index + 2]) << 16
                    | Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
                index += GRPCMessageFramer.prefixLength
                guard acceptLength(length) else { return }
                if count - index >= length {
                    // One exact allocation, one copy.
                    enqueue([UInt8](UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)])))
                    index += length
                } else {
                    inBody = true
                    bodyLength = length
                }
            } else {
                // A prefix split across pieces: one byte at a time.
                let byte = bytes[index]
                index += 1
                if prefixBytesRead == 0 {
                    guard acceptFlag(byte) else { return }
                } else {
                    prefixLength = prefixLength << 8 | UInt32(byte)
                }
                prefixBytesRead += 1
                if prefixBytesRead == GRPCMessageFramer.prefixLength {
                    let length = Int(prefixLength)
                    prefixBytesRead = 0
                    prefixLength = 0
                    guard acceptLength(length) else { return }
                    if length == 0 {
                        enqueue([])
                    } else {
                        inBody = true
                        bodyLength = length
                    }
                }
            }
        }
    }

    /// Returns the next complete message.
    ///
    /// - Returns: The message bytes (without prefix), or `nil` if no complete message is
    ///   buffered: wait for more bytes.
    /// - Throws: The status that the call must end with, once the messages received before
    ///   an error were returned; every later call throws the same status.
    package mutating func next() throws(RPCStatus) -> [UInt8]? {
        if let message = firstReady.take() {
            if moreReadyStart < moreReady.count {
                firstReady = moreReady[moreReadyStart]
                moreReady[moreReadyStart] = []  // Leaves the returned array uniquely referenced.
                moreReadyStart += 1
                if moreReadyStart == moreReady.count {
                    moreReady.removeAll(keepingCapacity: true)
                    moreReadyStart = 0
                }
            }
            return message
        }
        if let failure {
            throw failure
        }
        return nil
    }

    /// A body that grew past this many bytes (one full DATA frame) and will reach
    /// ``largeBodySize`` is allocated at that size at once.
    package static let smallBodySize = 16 << 10
    /// The size a body that will reach it is allocated at once (see ``smallBodySize``).
    package static let largeBodySize = 128 << 10

    /// The capacity reserved for the partial message body: the memory it takes, which grows
    /// geometrically ahead of ``partialByteCount``.
    package var partialMessageCapacity: Int { body.capacity }

    private mutating func enqueue(_ message: [UInt8]) {
        if firstReady == nil {
            firstReady = message
        } else {
            moreReady.append(message)
        }
    }

    /// Appends to the partial body, growing geometrically but never past its declared length.
    ///
    /// A body of ``largeBodySize`` bytes or more that has grown past ``smallBodySize`` jumps to
    /// ``largeBodySize`` at once instead of passing through 32 and 64 KiB blocks, which a
    /// memory allocator tends to keep resident once they are freed (blocks of ``largeBodySize``
    /// and more give their pages back as they are freed: `MemoryReclaimer` in the transport). The jump needs a full DATA frame of
    /// evidence, so a peer gets at most eight times what it sent allocated, and only a few bytes
    /// for a bare prefix.
    private mutating func appendToBody(_ piece: UnsafeRawBufferPointer) {
        let needed = body.count + piece.count
        if needed > body.capacity {
            var target = Swift.max(needed, body.capacity &* 2)
            if bodyLength >= Self.largeBodySize, needed > Self.smallBodySize {
                target = Swift.max(target, Self.largeBodySize)
            }
            body.reserveCapacity(Swift.min(bodyLength, target))
        }
        body.append(contentsOf: piece)
    }

    /// Checks a flag byte; fails the deframer and returns false if it is not 0.
    private mutating func acceptFlag(_ flag: UInt8) -> Bool {
        switch flag {
        case 0:
            return true
        case 1:
            fail(RPCStatus(code: .internalError, message: "compressed message received without grpc-encoding"))
        default:
            fail(RPCStatus(code: .internalError, message: "invalid gRPC message flag \(flag) (expected 0 or 1)"))
        }
        return false
    }

    /// Checks a declared length; fails the deframer and returns false if it is over the limit.
    private mutating func acceptLength(_ length: Int) -> Bool {
        guard length > maxMessageSize else { return true }
        fail(RPCStatus(
            code: .resourceExhausted,
            message: "grpc: received message larger than max (\(length) vs. \(maxMessageSize))"
        ))
        return false
    }

    /// Enters the failed state and releases the partial message.
    private mutating func fail(_ status: RPCStatus) {
        failure = status
        inBody = false
        bodyLength = 0
        body = []
        prefixBytesRead = 0
        prefixLength = 0
    }
}
