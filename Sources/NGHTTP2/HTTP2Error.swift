internal import CNGHTTP2

/// An error code returned by libnghttp2, with its description.
package struct HTTP2Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The negative `nghttp2_error` code.
    package let code: Int32

    init(code: Int32) {
        self.code = code
    }

    /// True when the error is fatal for the whole connection, which must then be closed.
    package var isFatal: Bool {
        code < NGHTTP2_ERR_FATAL.rawValue
    }

    /// Why a connection failed, as far as the peer's behaviour explains it.
    package enum Cause: Sendable, Hashable {
        /// The peer sent frames needing acknowledgement (PING, SETTINGS) faster than it read the
        /// acknowledgements: more than 1,000 were queued.
        case ackFlood
        /// A header block came in more than ``HTTP2Settings/maxContinuationFrames`` CONTINUATION frames.
        case tooManyContinuations
        /// The connection did not start with the HTTP/2 client preface.
        case badPreface
        /// Anything else (out of memory, a callback that stopped processing).
        case other
    }

    /// What the peer did to cause this error.
    package var cause: Cause {
        switch code {
        case NGHTTP2_ERR_FLOODED.rawValue: .ackFlood
        case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue: .tooManyContinuations
        case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue: .badPreface
        default: .other
        }
    }

    /// The code and libnghttp2's text for it, such as
    /// `nghttp2 error -903: Received bad client magic byte string`.
    package var description: String {
        "nghttp2 error \(code): \(String(cString: nghttp2_strerror(code)))"
    }
}
