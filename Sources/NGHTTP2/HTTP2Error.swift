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

    /// The code and libnghttp2's text for it, such as
    /// `nghttp2 error -903: Received bad client magic byte string`.
    package var description: String {
        "nghttp2 error \(code): \(String(cString: nghttp2_strerror(code)))"
    }
}
