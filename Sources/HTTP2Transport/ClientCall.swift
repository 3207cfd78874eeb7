import HeaderFields
import NGHTTP2
import NIOCore

/// Everything the connection needs to start one client call, prepared off the event loop.
struct ClientCall: Sendable {
    /// Identifies the call before it has a stream id (cancellation and wake-ups use it).
    let id: UInt64
    /// The request header block, pseudo-headers first.
    let headers: [HeaderField]
    /// The request message with its 5-byte gRPC prefix (for a client-streaming call, the
    /// messages come from ``requestStream`` instead).
    let framedRequest: [UInt8]
    /// The messages of a client-streaming call, pulled as the stream can take them.
    var requestStream: (any ClientRequestStream)? = nil
    /// When the client gives up on the call; nil without a timeout.
    let deadline: NIODeadline?
    /// Where the response goes.
    let sink: ClientCallSink
    /// Set when the caller gave up before or while the call runs.
    let cancellation: ClientCallCancellation
}
