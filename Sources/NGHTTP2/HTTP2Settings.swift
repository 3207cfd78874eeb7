/// The local HTTP/2 settings an `HTTP2Session` advertises when it starts.
package struct HTTP2Settings: Sendable, Hashable {
    /// How many streams the peer may open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    package var maxConcurrentStreams: UInt32
    /// The flow-control window of each stream the peer sends on (SETTINGS_INITIAL_WINDOW_SIZE).
    package var initialWindowSize: UInt32
    /// The flow-control window of the whole connection for what the peer sends.
    package var connectionWindowSize: Int32
    /// The largest header list the peer may send (SETTINGS_MAX_HEADER_LIST_SIZE).
    package var maxHeaderListSize: UInt32
    /// When true, DATA the peer sends reopens the connection's flow-control window only when the
    /// owner calls ``HTTP2Session/consumeConnectionWindow(_:)``; stream windows still reopen as
    /// the data arrives.
    ///
    /// This bounds what all streams of a connection can make the owner buffer to
    /// ``connectionWindowSize``: a peer that opens many streams and sends each a partial message
    /// runs out of window instead of growing the owner's memory.
    package var holdsConnectionWindow: Bool
    /// The most CONTINUATION frames one header block may take; a peer that sends more closes
    /// the connection (``HTTP2Error/Cause/tooManyContinuations``). RFC 9113 sets no limit, but a
    /// block in many tiny frames costs work per frame for nothing.
    package var maxContinuationFrames: Int

    /// Creates settings; the defaults suit a gRPC server.
    package init(
        maxConcurrentStreams: UInt32 = 1024,
        initialWindowSize: UInt32 = 1 << 20,
        connectionWindowSize: Int32 = 16 << 20,
        maxHeaderListSize: UInt32 = 16 << 10,
        holdsConnectionWindow: Bool = false,
        maxContinuationFrames: Int = 8
    ) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialWindowSize = initialWindowSize
        self.connectionWindowSize = connectionWindowSize
        self.maxHeaderListSize = maxHeaderListSize
        self.holdsConnectionWindow = holdsConnectionWindow
        self.maxContinuationFrames = maxContinuationFrames
    }
}
