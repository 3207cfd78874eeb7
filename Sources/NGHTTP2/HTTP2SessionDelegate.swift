import HeaderFields

/// Receives what an `HTTP2Session` decodes and supplies the bodies it sends.
///
/// Every method is called synchronously from inside `HTTP2Session.receive(_:)` or
/// `HTTP2Session.send(maxBytes:_:)`, on the caller's thread. Implementations may submit frames
/// (responses, trailers, resets) but must not call `receive` or `send` re-entrantly.
package protocol HTTP2SessionDelegate: AnyObject {
    /// A complete header block arrived on a stream (request or response headers, or trailers).
    func session(_ session: HTTP2Session, didReceiveHeaders headers: [HeaderField], streamID: Int32, endStream: Bool)

    /// A header block on the stream grew past ``HTTP2Settings/maxHeaderListSize``.
    ///
    /// The session dropped the block and queued RST_STREAM(ENHANCE_YOUR_CALM) for the stream;
    /// no `didReceiveHeaders` follows for that block, and `didCloseStream` reports the reset
    /// once it is sent. The default implementation does nothing.
    func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32)

    /// A PING or SETTINGS frame that this side must acknowledge is about to be processed.
    /// - Returns: false to refuse it as a flood: ``HTTP2Session/receive(_:)`` then stops and
    ///   throws, and the owner closes the connection. The default implementation accepts it.
    func sessionWillReceiveFrameNeedingAck(_ session: HTTP2Session) -> Bool

    /// The peer acknowledged a PING this side sent with ``HTTP2Session/submitPing()``. The
    /// default implementation does nothing.
    func sessionDidReceivePingAck(_ session: HTTP2Session)

    /// A piece of a stream's body arrived. The bytes are valid only during the call.
    func session(_ session: HTTP2Session, didReceiveData data: UnsafeRawBufferPointer, streamID: Int32)

    /// The peer ended its side of the stream with a DATA frame.
    func session(_ session: HTTP2Session, didReceiveEndOfStream streamID: Int32)

    /// This side's last frame of a stream (one with END_STREAM) was handed to the socket.
    func session(_ session: HTTP2Session, didSendEndOfStream streamID: Int32)

    /// A GOAWAY frame left for the peer, with this error code: one this side's owner submitted,
    /// or one libnghttp2 queued itself for a protocol error. The default implementation does nothing.
    func session(_ session: HTTP2Session, didSendGoAwayWith errorCode: UInt32)

    /// The stream closed; `errorCode` is 0 (NO_ERROR) for a normal close, else the RST_STREAM
    /// or GOAWAY code.
    func session(_ session: HTTP2Session, didCloseStream streamID: Int32, errorCode: UInt32)

    /// The session can send up to `buffer.count` bytes of the stream's body now.
    func session(_ session: HTTP2Session, readDataFor streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2DataRead
}

extension HTTP2SessionDelegate {
    /// Does nothing: the stream's reset is reported by `didCloseStream`.
    package func session(_ session: HTTP2Session, didRejectHeaderListOn streamID: Int32) {}

    /// Does nothing.
    package func session(_ session: HTTP2Session, didSendGoAwayWith errorCode: UInt32) {}

    /// Accepts the frame.
    package func sessionWillReceiveFrameNeedingAck(_ session: HTTP2Session) -> Bool { true }

    /// Does nothing.
    package func sessionDidReceivePingAck(_ session: HTTP2Session) {}
}
