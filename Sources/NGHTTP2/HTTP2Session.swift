internal import CNGHTTP2
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import HeaderFields

/// An HTTP/2 connection's protocol state, driven without sockets.
///
/// The owner feeds received bytes to ``receive(_:)`` and drains bytes to write with
/// ``send(maxBytes:_:)``; libnghttp2 does all framing, HPACK and flow control. Decoded headers
/// and data reach the ``HTTP2SessionDelegate``, which also supplies response bodies on demand
/// (pull style), so a body is only produced when flow control lets it be sent.
///
/// Not thread-safe: use one session from one thread (a connection's event loop).
///
/// ```swift
/// let session = try HTTP2Session(role: .server, delegate: connection)
/// try session.receive(bytesFromSocket)
/// try session.send(maxBytes: 64 << 10) { chunk in socket.write(chunk) }
/// ```
package final class HTTP2Session {
    /// Which end of the connection this session is.
    package enum Role: Sendable {
        /// Accepts streams the peer opens and answers them (``submitResponse(streamID:headers:hasBody:)``).
        case server
        /// Sends the connection preface and opens streams (``submitRequest(headers:hasBody:)``).
        case client
    }

    /// The delegate; the session does not keep it alive.
    package unowned let delegate: any HTTP2SessionDelegate

    /// The `nghttp2_session *`, owned by this object and deleted in `deinit`.
    private let session: OpaquePointer
    /// The header block being received on a stream, and its size so far as
    /// SETTINGS_MAX_HEADER_LIST_SIZE counts it.
    private struct HeaderBlock {
        var fields: [HeaderField] = []
        /// The sum of name length + value length + 32 over `fields` (RFC 9113 §6.5.2).
        var listSize = 0
    }

    /// The header block being received, at most `maxHeaderListSize` bytes: a block's HEADERS
    /// and CONTINUATION frames arrive back to back (RFC 9113 §6.10; libnghttp2 ends the
    /// connection otherwise), so a connection receives one block at a time.
    private var openBlock: (streamID: Int32, block: HeaderBlock)?
    /// The fields of the last complete header block, if its list was at most
    /// ``largestRememberedListSize`` bytes. A peer sends most fields again with every request
    /// (`content-type`, `user-agent`, often `:path`): a field whose bytes match the one at the
    /// same place in this block, or one of its first ``searchedFieldCount``, is shared instead of
    /// decoded into new strings.
    private var previousFields: [HeaderField] = []
    /// The largest header list kept as ``previousFields``: a request head is a few hundred bytes,
    /// and an idle connection should not hold a 16 KiB one until it closes.
    private static let largestRememberedListSize = 2048
    /// The largest header list this side accepts, as advertised in its SETTINGS.
    private let maxHeaderListSize: Int
    /// Which end of the connection this session is.
    private let role: Role
    /// True once this side queued a GOAWAY that ends the session because the peer broke the
    /// protocol (see `beginFrame`).
    package private(set) var isTerminating = false
    /// Whether the owner reopens the connection window itself (``HTTP2Settings/holdsConnectionWindow``).
    private let holdsConnectionWindow: Bool

    /// Creates a session and queues the local SETTINGS (and, for a client, the preface).
    /// - Throws: `HTTP2Error` if libnghttp2 cannot allocate the session.
    package init(role: Role, settings: HTTP2Settings = HTTP2Settings(), delegate: any HTTP2SessionDelegate) throws(HTTP2Error) {
        self.delegate = delegate
        self.maxHeaderListSize = Int(settings.maxHeaderListSize)
        self.holdsConnectionWindow = settings.holdsConnectionWindow
        self.role = role

        var callbacks: OpaquePointer?
        try check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, onBeginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkReceived)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClosed)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)

        var option: OpaquePointer?
        try check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        // Stock gRPC clients send far more PINGs and SETTINGS than browsers; nghttp2 answers them
        // itself. Keep the peer's advertised header table but cap what we allocate for it.
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)
        nghttp2_option_set_max_continuations(option, settings.maxContinuationFrames)
        if settings.holdsConnectionWindow {
            // Without this libnghttp2 sends WINDOW_UPDATE for every DATA byte at once, whether
            // or not the owner could get rid of it. With it, `dataChunk` consumes the stream
            // window and the owner the connection window (padding and DATA for streams
            // libnghttp2 ignores it consumes itself).
            nghttp2_option_set_no_auto_window_update(option, 1)
        }

        var created: OpaquePointer?
        // `user_data` is this object, unretained: every callback runs inside `receive` or
        // `send`, which are only callable while the session (and so `self`) is alive.
        let placeholder = UnsafeMutableRawPointer(bitPattern: 1)!
        switch role {
        case .server:
            try check(nghttp2_session_server_new2(&created, callbacks, placeholder, option))
        case .client:
            try check(nghttp2_session_client_new2(&created, callbacks, placeholder, option))
        }
        guard let created else { throw HTTP2Error(code: NGHTTP2_ERR_NOMEM.rawValue) }
        self.session = created
        nghttp2_session_set_user_data(created, Unmanaged.passUnretained(self).toOpaque())

        let entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
        ]
        try check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count))
        try check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowSize))
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Driving the session

    /// Processes bytes received from the peer, calling the delegate for what they complete.
    /// - Throws: `HTTP2Error` when the peer broke the protocol badly enough that the connection
    ///   must close (a GOAWAY is queued first where nghttp2 can send one).
    package func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        // Negative: NGHTTP2_ERR_NOMEM, NGHTTP2_ERR_CALLBACK_FAILURE, NGHTTP2_ERR_BAD_CLIENT_MAGIC,
        // NGHTTP2_ERR_FLOODED, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS; all fatal for the connection.
        if consumed < 0 { throw HTTP2Error(code: Int32(consumed)) }
    }

    /// Hands the bytes waiting to be written to `write`, at most about `maxBytes` of them.
    ///
    /// Stream bodies are pulled from the delegate as flow control allows. Each chunk passed to
    /// `write` is valid only during that call.
    /// - Returns: the number of bytes handed over.
    @discardableResult
    package func send(maxBytes: Int, _ write: (UnsafeRawBufferPointer) -> Void) throws(HTTP2Error) -> Int {
        var total = 0
        while total < maxBytes {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            // Negative: NGHTTP2_ERR_NOMEM or NGHTTP2_ERR_CALLBACK_FAILURE; both fatal.
            if count < 0 { throw HTTP2Error(code: Int32(count)) }
            if count == 0 { break }
            write(UnsafeRawBufferPointer(start: chunk, count: count))
            total += count
        }
        return total
    }

    /// True while the session expects more input (false once both sides sent GOAWAY, or on error).
    package var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }

    /// True while the session has frames to send.
    package var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    // MARK: Submitting frames

    /// Queues response headers; with `hasBody` the body is pulled from the delegate.
    package func submitResponse(streamID: Int32, headers: [HeaderField], hasBody: Bool) throws(HTTP2Error) {
        try withNameValuePairs(headers) { (pairs, count) throws(HTTP2Error) in
            if hasBody {
                var provider = bodyProvider()
                try check(nghttp2_submit_response(session, streamID, pairs, count, &provider))
            } else {
                try check(nghttp2_submit_response(session, streamID, pairs, count, nil))
            }
        }
    }

    /// Queues a HEADERS frame, e.g. a gRPC Trailers-Only response (`endStream: true`).
    package func submitHeaders(streamID: Int32, headers: [HeaderField], endStream: Bool) throws(HTTP2Error) {
        let flags = endStream ? NGHTTP2_FLAG_END_STREAM.rawValue : NGHTTP2_FLAG_NONE.rawValue
        try withNameValuePairs(headers) { (pairs, count) throws(HTTP2Error) in
            try check(nghttp2_submit_headers(session, UInt8(flags), streamID, nil, pairs, count, nil))
        }
    }

    /// Queues a request (client role) and returns its new stream id.
    package func submitRequest(headers: [HeaderField], hasBody: Bool) throws(HTTP2Error) -> Int32 {
        try withNameValuePairs(headers) { (pairs, count) throws(HTTP2Error) -> Int32 in
            let streamID: Int32
            if hasBody {
                var provider = bodyProvider()
                streamID = nghttp2_submit_request(session, nil, pairs, count, &provider, nil)
            } else {
                streamID = nghttp2_submit_request(session, nil, pairs, count, nil, nil)
            }
            try check(streamID)
            return streamID
        }
    }

    /// Wakes a stream whose body source answered `.deferred`.
    /// - Returns: false when the stream is gone or was not deferred.
    @discardableResult
    package func resumeData(streamID: Int32) -> Bool {
        // 0, or NGHTTP2_ERR_INVALID_ARGUMENT (no such stream / not deferred) or NGHTTP2_ERR_NOMEM.
        nghttp2_session_resume_data(session, streamID) == 0
    }

    /// Queues RST_STREAM with an HTTP/2 error code (0 = NO_ERROR, 8 = CANCEL).
    package func resetStream(streamID: Int32, errorCode: UInt32) {
        // Fails only for stream id 0 or out of memory; neither leaves anything to undo.
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Reopens `count` bytes of the connection's receive window, for DATA the owner no longer
    /// holds. Only meaningful with ``HTTP2Settings/holdsConnectionWindow``.
    package func consumeConnectionWindow(_ count: Int) {
        guard holdsConnectionWindow, count > 0 else { return }
        // 0, or NGHTTP2_ERR_INVALID_ARGUMENT (without the option) or NGHTTP2_ERR_NOMEM; neither
        // leaves anything to undo (a lost update only slows this connection down).
        _ = nghttp2_session_consume_connection(session, count)
    }

    /// Queues the first phase of a graceful shutdown: a GOAWAY that still admits new streams.
    package func submitShutdownNotice() {
        // Fails only for a client session, which this call is not for.
        _ = nghttp2_submit_shutdown_notice(session)
    }

    /// Queues a PING; the peer's acknowledgement reaches ``HTTP2SessionDelegate/sessionDidReceivePingAck(_:)``.
    ///
    /// A graceful shutdown sends one after ``submitShutdownNotice()`` and the final GOAWAY once
    /// it is acknowledged: by then the peer has seen the notice, so every stream it opened
    /// before is counted in the GOAWAY's last stream id.
    package func submitPing() {
        // Fails only when out of memory; the caller's fallback timer sends the GOAWAY anyway.
        _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// The id of the last stream the peer opened that this side processed (0 if none).
    package var lastProcessedStreamID: Int32 {
        nghttp2_session_get_last_proc_stream_id(session)
    }

    /// Queues a GOAWAY naming the last stream this side processed.
    /// - Parameters:
    ///   - errorCode: The HTTP/2 error code (RFC 9113 §7).
    ///   - debugData: Text for the peer's logs, saying why.
    package func submitGoAway(errorCode: UInt32, debugData: String = "") {
        let lastStream = nghttp2_session_get_last_proc_stream_id(session)
        var debug = Array(debugData.utf8)
        // Fails only for an invalid last stream id or out of memory.
        _ = debug.withUnsafeMutableBufferPointer { bytes in
            nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStream, errorCode, bytes.baseAddress, bytes.count)
        }
    }

    /// How many DATA bytes of the stream flow control lets this side send now: the smaller of
    /// the stream's and the connection's send windows (0 for an unknown stream).
    package func sendWindow(streamID: Int32) -> Int {
        let stream = nghttp2_session_get_stream_remote_window_size(session, streamID)
        guard stream >= 0 else { return 0 }
        return Int(min(stream, nghttp2_session_get_remote_window_size(session)))
    }

    /// The bytes of the header block received but not yet complete (for tests: never more than
    /// `maxHeaderListSize`).
    var bufferedHeaderListSize: Int {
        openBlock?.block.listSize ?? 0
    }

    // MARK: Callbacks, forwarded from the C trampolines below

    /// Checks a frame's header before libnghttp2 processes it.
    ///
    /// - A PING or SETTINGS frame (not an acknowledgement) is reported to the delegate, which
    ///   may refuse it: a peer that sends more of them than it should is flooding.
    /// - A HEADERS frame that opens a client stream with an id lower than one already opened
    ///   is a connection error of type PROTOCOL_ERROR (RFC 9113 §5.1.1: opening a stream closes
    ///   every idle stream below it). libnghttp2 1.52 drops such a frame silently; this queues
    ///   GOAWAY(PROTOCOL_ERROR) instead and makes `receive` fail, so the owner sends it and closes.
    /// - Returns: false to stop processing the input (`receive` then fails).
    fileprivate func beginFrame(type: UInt8, flags: UInt8, streamID: Int32) -> Bool {
        let frameType = UInt32(type)
        if frameType == NGHTTP2_PING.rawValue || frameType == NGHTTP2_SETTINGS.rawValue,
           flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
            return delegate.sessionWillReceiveFrameNeedingAck(self)
        }
        guard role == .server, frameType == NGHTTP2_HEADERS.rawValue, streamID & 1 == 1,
              streamID < nghttp2_session_get_last_proc_stream_id(session),
              nghttp2_session_find_stream(session, streamID) == nil
        else { return true }
        // 0, or NGHTTP2_ERR_NOMEM; the connection closes either way.
        _ = nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
        isTerminating = true
        return false
    }

    fileprivate func beginHeaders(streamID: Int32) {
        var block = HeaderBlock()
        block.fields.reserveCapacity(max(previousFields.count, Self.usualFieldCount))
        openBlock = (streamID, block)
    }

    /// Room for the fields of a typical gRPC request head, reserved before the first block.
    private static let usualFieldCount = 8

    /// Adds a decoded field to the stream's header block.
    ///
    /// libnghttp2 1.52 advertises SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce it on
    /// receive, and HPACK lets a one-byte index stand for a 4 KiB field: without this check one
    /// small HEADERS frame could decode into megabytes of strings. A block that grows past the
    /// limit is dropped, and its stream is reset with ENHANCE_YOUR_CALM, which gRPC clients
    /// report as RESOURCE_EXHAUSTED.
    ///
    /// - Returns: false when the block was dropped; the `on_header` callback then returns
    ///   `NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE`, on which libnghttp2 still decodes the rest of
    ///   the block (keeping the HPACK table in step with the peer's) but calls neither
    ///   `on_header` nor `on_frame_recv` for it, and queues RST_STREAM(INTERNAL_ERROR). It skips
    ///   that RST_STREAM because this method already queued one: a stream with a reset queued
    ///   is in its closing state, and `nghttp2_session_add_rst_stream` ignores such streams.
    fileprivate func header(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every block starts with `beginHeaders`; a missing one was already dropped. Taken out
        // while it grows, so its array is not shared.
        guard var block = openBlock?.block, openBlock?.streamID == streamID else { return false }
        openBlock = nil
        block.listSize += name.count + value.count + 32
        guard block.listSize <= maxHeaderListSize else {
            resetStream(streamID: streamID, errorCode: UInt32(NGHTTP2_ENHANCE_YOUR_CALM.rawValue))
            delegate.session(self, didRejectHeaderListOn: streamID)
            return false
        }
        block.fields.append(
            previousField(matching: name, value, near: block.fields.count)
                ?? HeaderField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        )
        openBlock = (streamID, block)
        return true
    }

    /// The field of the previous block with exactly these bytes, looked for where it was in that
    /// block (peers send their fields in the same order each time), then among its first
    /// ``searchedFieldCount`` fields, so a block of many fields costs at most that many
    /// comparisons per field more.
    private func previousField(matching name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, near position: Int) -> HeaderField? {
        if position < previousFields.count, Self.matches(previousFields[position], name: name, value: value) {
            return previousFields[position]
        }
        return previousFields.prefix(Self.searchedFieldCount).first { Self.matches($0, name: name, value: value) }
    }

    /// How many of the previous block's fields a field that moved is looked for among.
    private static let searchedFieldCount = 16

    private static func matches(_ field: HeaderField, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        equals(field.value, value) && equals(field.name, name)
    }

    /// Whether `text`'s UTF-8 is exactly `bytes`.
    private static func equals(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.utf8.count == bytes.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return text.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 }
            ?? text.utf8.elementsEqual(bytes)
    }

    fileprivate func frameReceived(type: UInt8, flags: UInt8, streamID: Int32) {
        let endStream = flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(type) {
        case NGHTTP2_HEADERS.rawValue:
            var headers: [HeaderField] = []
            if let open = openBlock, open.streamID == streamID {
                headers = open.block.fields
                openBlock = nil
                previousFields = open.block.listSize <= Self.largestRememberedListSize ? headers : []
            }
            delegate.session(self, didReceiveHeaders: headers, streamID: streamID, endStream: endStream)
        case NGHTTP2_DATA.rawValue where endStream:
            delegate.session(self, didReceiveEndOfStream: streamID)
        case NGHTTP2_PING.rawValue where flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0:
            delegate.sessionDidReceivePingAck(self)
        default:
            break
        }
    }

    fileprivate func frameSent(type: UInt8, flags: UInt8, streamID: Int32, goAwayErrorCode: UInt32?) {
        if let goAwayErrorCode {
            delegate.session(self, didSendGoAwayWith: goAwayErrorCode)
            return
        }
        let isStreamFrame = UInt32(type) == NGHTTP2_HEADERS.rawValue || UInt32(type) == NGHTTP2_DATA.rawValue
        if isStreamFrame && flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            delegate.session(self, didSendEndOfStream: streamID)
        }
    }

    fileprivate func dataChunk(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        if holdsConnectionWindow {
            // 0, or NGHTTP2_ERR_INVALID_ARGUMENT for a stream already gone (nothing to reopen)
            // or NGHTTP2_ERR_NOMEM (the stream stalls; its deadline or the peer ends it).
            _ = nghttp2_session_consume_stream(session, streamID, bytes.count)
        }
        delegate.session(self, didReceiveData: bytes, streamID: streamID)
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        if openBlock?.streamID == streamID {
            openBlock = nil
        }
        delegate.session(self, didCloseStream: streamID, errorCode: errorCode)
    }

    fileprivate func readData(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer, flags: UnsafeMutablePointer<UInt32>) -> Int {
        switch delegate.session(self, readDataFor: streamID, into: buffer) {
        case .bytes(let count):
            return count
        case .deferred:
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        case .end(let count, nil):
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return count
        case .end(let count, let trailers?):
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            // Submitting trailers from the read callback is the documented way to end a body
            // with trailers. It fails only for out of memory; the stream is then reset.
            let submitted = withNameValuePairs(trailers) { pairs, pairCount in
                nghttp2_submit_trailer(session, streamID, pairs, pairCount)
            }
            if submitted != 0 { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
            return count
        }
    }

    // MARK: Helpers

    private func bodyProvider() -> nghttp2_data_provider {
        nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: onReadData)
    }
}

/// Throws for a negative libnghttp2 return code.
private func check(_ code: Int32) throws(HTTP2Error) {
    if code < 0 { throw HTTP2Error(code: code) }
}

/// Calls `body` with `nghttp2_nv` pairs pointing into one temporary buffer holding every
/// name and value. libnghttp2 copies the pairs during the submit call, so they need not outlive it.
private func withNameValuePairs<Result, Failure: Error>(
    _ headers: [HeaderField],
    _ body: (UnsafePointer<nghttp2_nv>, Int) throws(Failure) -> Result
) throws(Failure) -> Result {
    var byteCount = 0
    for field in headers {
        byteCount += field.name.utf8.count + field.value.utf8.count
    }
    let result: Swift.Result<Result, Failure> = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(byteCount, 1)) { bytes in
        withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { pairs in
            var offset = 0
            func copy(_ text: String) -> (UnsafeMutablePointer<UInt8>, Int) {
                let start = bytes.baseAddress! + offset
                let count = UnsafeMutableBufferPointer(rebasing: bytes[offset...]).initialize(fromContentsOf: text.utf8)
                offset += count
                return (start, count)
            }
            for (index, field) in headers.enumerated() {
                let name = copy(field.name)
                let value = copy(field.value)
                pairs.initializeElement(
                    at: index,
                    to: nghttp2_nv(name: name.0, value: value.0, namelen: name.1, valuelen: value.1, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                )
            }
            defer { _ = pairs.prefix(headers.count).deinitialize() }
            do throws(Failure) {
                return .success(try body(pairs.baseAddress!, headers.count))
            } catch {
                return .failure(error)
            }
        }
    }
    return try result.get()
}

// MARK: - C trampolines
//
// libnghttp2 calls these with the `user_data` set in `HTTP2Session.init`: the session object,
// unretained. They only run inside `nghttp2_session_mem_recv`/`mem_send`, which the session calls
// from its own methods, so the object is alive for every call. None of them can throw.

private func session(from userData: UnsafeMutableRawPointer?) -> HTTP2Session {
    Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
}

private func onBeginFrame(_: OpaquePointer?, header: UnsafePointer<nghttp2_frame_hd>?, userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let header else { return 0 }
    let accepted = session(from: userData).beginFrame(type: header.pointee.type, flags: header.pointee.flags, streamID: header.pointee.stream_id)
    // NGHTTP2_ERR_CALLBACK_FAILURE makes `nghttp2_session_mem_recv` stop and fail.
    return accepted ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
}

private func onBeginHeaders(_: OpaquePointer?, frame: UnsafePointer<nghttp2_frame>?, userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    session(from: userData).beginHeaders(streamID: frame.pointee.hd.stream_id)
    return 0
}

private func onHeader(
    _: OpaquePointer?, frame: UnsafePointer<nghttp2_frame>?,
    name: UnsafePointer<UInt8>?, nameLength: Int,
    value: UnsafePointer<UInt8>?, valueLength: Int,
    flags: UInt8, userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let frame else { return 0 }
    let accepted = session(from: userData).header(
        streamID: frame.pointee.hd.stream_id,
        name: UnsafeBufferPointer(start: name, count: nameLength),
        value: UnsafeBufferPointer(start: value, count: valueLength)
    )
    // Rejecting one stream's headers: libnghttp2 resets that stream, not the connection.
    return accepted ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
}

private func onFrameReceived(_: OpaquePointer?, frame: UnsafePointer<nghttp2_frame>?, userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    let header = frame.pointee.hd
    session(from: userData).frameReceived(type: header.type, flags: header.flags, streamID: header.stream_id)
    return 0
}

private func onFrameSent(_: OpaquePointer?, frame: UnsafePointer<nghttp2_frame>?, userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    let header = frame.pointee.hd
    let goAwayErrorCode = UInt32(header.type) == NGHTTP2_GOAWAY.rawValue ? frame.pointee.goaway.error_code : nil
    session(from: userData).frameSent(type: header.type, flags: header.flags, streamID: header.stream_id, goAwayErrorCode: goAwayErrorCode)
    return 0
}

private func onDataChunkReceived(
    _: OpaquePointer?, flags: UInt8, streamID: Int32,
    data: UnsafePointer<UInt8>?, length: Int, userData: UnsafeMutableRawPointer?
) -> Int32 {
    session(from: userData).dataChunk(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private func onStreamClosed(_: OpaquePointer?, streamID: Int32, errorCode: UInt32, userData: UnsafeMutableRawPointer?) -> Int32 {
    session(from: userData).streamClosed(streamID: streamID, errorCode: errorCode)
    return 0
}

private func onReadData(
    _: OpaquePointer?, streamID: Int32,
    buffer: UnsafeMutablePointer<UInt8>?, length: Int,
    dataFlags: UnsafeMutablePointer<UInt32>?, source: UnsafeMutablePointer<nghttp2_data_source>?,
    userData: UnsafeMutableRawPointer?
) -> Int {
    session(from: userData).readData(
        streamID: streamID,
        into: UnsafeMutableRawBufferPointer(start: buffer, count: length),
        flags: dataFlags!
    )
}
