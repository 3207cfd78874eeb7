/// The HTTP/2 error codes (RFC 9113 §7) this transport sends or interprets.
///
/// Plain constants because `HTTP2Session` takes and reports error codes as `UInt32`.
enum HTTP2ErrorCodes {
    /// The graceful end of a stream or connection.
    static let noError: UInt32 = 0x0
    /// The peer broke the protocol.
    static let protocolError: UInt32 = 0x1
    /// An unexpected failure inside this endpoint, such as a frame it could not queue.
    static let internalError: UInt32 = 0x2
    /// The peer broke flow control.
    static let flowControlError: UInt32 = 0x3
    /// A frame of the wrong size.
    static let frameSizeError: UInt32 = 0x6
    /// The peer did not process the stream; it may be retried elsewhere.
    static let refusedStream: UInt32 = 0x7
    /// The stream is no longer wanted (client cancellation, deadline).
    static let cancel: UInt32 = 0x8
    /// The header compression context cannot be kept.
    static let compressionError: UInt32 = 0x9
    /// The peer is generating too much load.
    static let enhanceYourCalm: UInt32 = 0xB
    /// The transport's security does not meet the peer's requirements.
    static let inadequateSecurity: UInt32 = 0xC
}
