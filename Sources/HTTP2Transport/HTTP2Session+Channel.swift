import NGHTTP2
import NIOCore

extension HTTP2Session {
    /// Bytes drained from nghttp2 per channel write; writability is rechecked between writes.
    ///
    /// With the frame that crosses it (at most 16 KiB + 9), a write's buffer stays within 64 KiB,
    /// under `MemoryReclaimer.largeBlockSize`: a buffer that grew to 128 KiB was mapped and
    /// unmapped on every write, and its page faults cost a WatchLogs replay about 10 % of its CPU.
    static let channelWriteChunkSize = 32 << 10

    /// Bytes written to the channel before ``writeOutput(to:)`` flushes without waiting for
    /// its end: a stream that starts with a window's worth of old events (a watcher resuming
    /// deep in the log, megabytes under a large window) has its first bytes on the wire while
    /// the rest is produced. Small enough for that, large enough that a batch of unary answers
    /// still goes out in one flush (a flush per 32 KiB cost GetWorkflow 8 % of its throughput).
    static let flushThreshold = 128 << 10

    /// What ``writeOutput(to:)`` left behind.
    enum ChannelOutputState {
        /// The session may still read or write: keep the channel open.
        case open
        /// Both sides are done (GOAWAY exchanged and no stream left, or a fatal error was
        /// sent): the caller closes the channel.
        case finished
    }

    /// Writes what the session has to send to `context`'s channel, in chunks of about
    /// ``channelWriteChunkSize`` bytes, while the channel is writable; flushes every
    /// ``flushThreshold`` bytes and at the end.
    ///
    /// Stopping when the channel is not writable is what bounds the memory a slow reader costs:
    /// the rest stays in nghttp2 (and stream bodies stay unproduced) until writability returns.
    /// Never call it from inside an ``HTTP2SessionDelegate`` method.
    ///
    /// - Parameter context: The context of the handler that owns the session.
    /// - Returns: Whether the connection is still needed.
    /// - Throws: `HTTP2Error` when nghttp2 failed fatally; the caller closes the channel.
    func writeOutput(to context: ChannelHandlerContext) throws(HTTP2Error) -> ChannelOutputState {
        var unflushed = 0
        // Flush what was written before a failure too: it may hold the GOAWAY.
        defer { if unflushed > 0 { context.flush() } }
        while context.channel.isWritable {
            var buffer = context.channel.allocator.buffer(capacity: 0)
            do {
                try send(maxBytes: Self.channelWriteChunkSize) { chunk in buffer.writeBytes(chunk) }
            } catch {
                if buffer.readableBytes > 0 { context.write(NIOAny(buffer), promise: nil) }
                unflushed += buffer.readableBytes
                throw error
            }
            if buffer.readableBytes == 0 { break }
            unflushed += buffer.readableBytes
            context.write(NIOAny(buffer), promise: nil)
            if unflushed >= Self.flushThreshold {
                context.flush()
                unflushed = 0
            }
        }
        return !wantsRead && !wantsWrite ? .finished : .open
    }
}
