import HeaderFields

/// What a stream's body source produced when the session asked it for bytes.
package enum HTTP2DataRead: Sendable {
    /// This many bytes were written into the buffer; more will follow.
    case bytes(Int)
    /// Nothing to send now: the stream sleeps until `HTTP2Session.resumeData(streamID:)`.
    case deferred
    /// The body ends after this many bytes, with the stream ending in these trailers (or, with
    /// `nil`, on the last DATA frame itself).
    case end(bytes: Int, trailers: [HeaderField]?)
}
