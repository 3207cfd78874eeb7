import RPCCore

/// The response messages of a server-streaming call, in order, ending with the call's status.
///
/// Iterating yields each message; the loop ends normally when the call ends with OK and
/// throws the ``RPCStatus`` of any other outcome. Cancelling the iterating task, or dropping
/// the stream before its end, cancels the call (the server sees RST_STREAM CANCEL).
///
/// Messages the consumer has not read yet are buffered up to
/// ``GRPCClientConfiguration/maxBufferedResponseBytes``; past that the client stops reading
/// the connection until the consumer catches up, so a slow consumer never makes the client
/// buffer without bound.
///
/// One task iterates a stream at a time.
///
/// ```swift
/// do {
///     for try await message in client.serverStreaming(path: "/pkg.Service/Watch", request: bytes) {
///         print(message.count)
///     }
/// } catch {
///     print("call failed: \(error)")   // error is an RPCStatus
/// }
/// ```
package struct GRPCResponseStream: AsyncSequence, Sendable {
    /// One serialized response message, without its gRPC length prefix.
    package typealias Element = [UInt8]
    /// What iteration throws when the call ends with a status other than OK.
    package typealias Failure = RPCStatus

    private let consumer: Consumer

    init(buffer: ResponseStreamBuffer) {
        self.consumer = Consumer(buffer: buffer)
    }

    /// Creates the iterator that reads the messages.
    ///
    /// Iterators share the stream's buffer: each message goes to whichever iterator asks
    /// first, and only one task may iterate at a time.
    ///
    /// - Returns: An iterator over the call's messages.
    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer)
    }

    /// Reads the messages of a ``GRPCResponseStream``.
    package struct AsyncIterator: AsyncIteratorProtocol {
        /// One serialized response message, without its gRPC length prefix.
        package typealias Element = [UInt8]
        /// The status of a call that ended with a code other than OK.
        package typealias Failure = RPCStatus

        fileprivate let consumer: Consumer

        /// The next message, nil once the call ended with OK.
        /// - Throws: the call's status when it ended with any other code.
        package mutating func next() async throws(RPCStatus) -> [UInt8]? {
            try await consumer.buffer.next()
        }

        /// The next message, nil once the call ended with OK.
        /// - Throws: the call's status when it ended with any other code.
        package mutating func next(isolation actor: isolated (any Actor)?) async throws(RPCStatus) -> [UInt8]? {
            try await consumer.buffer.next()
        }
    }

    /// Held only by the consumer side (the stream and its iterators), never by the connection,
    /// so its `deinit` says that nobody will read the rest.
    fileprivate final class Consumer: Sendable {
        let buffer: ResponseStreamBuffer

        init(buffer: ResponseStreamBuffer) {
            self.buffer = buffer
        }

        deinit {
            buffer.consumerGone()
        }
    }
}
