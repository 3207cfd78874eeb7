/// The source of a server-streaming call's messages, pulled by the transport.
///
/// The transport calls ``produce(into:)`` only when HTTP/2 flow control and the socket can take
/// more, so a client that stops reading stops production and nothing piles up on the server.
/// When the producer has nothing to give it answers `.pending` and later calls the
/// ``StreamWaker`` it was created with; the transport then asks again.
package protocol ServerStreamProducer: AnyObject, Sendable {
    /// Appends messages to `output` until it holds about `output.budget` bytes or there is
    /// nothing more to send right now. Called on the connection's thread.
    func produce(into output: inout StreamOutput) -> StreamProduction

    /// The call ended early (the client cancelled, the connection closed): release resources.
    /// No more `produce` calls follow.
    func cancel()
}

/// What a ``ServerStreamProducer`` says after producing.
package enum StreamProduction: Sendable {
    /// More may be ready: ask again when there is room.
    case more
    /// Nothing now; the producer will call its ``StreamWaker`` when there is.
    case pending
    /// The stream is over: end it with this status after what was produced.
    case finished(RPCStatus)
}

/// Wakes the transport for a stream whose producer answered `.pending`. Callable from any thread.
package struct StreamWaker: Sendable {
    private let wake: @Sendable () -> Void

    /// Creates a waker that runs `wake`.
    package init(_ wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Tells the transport that the stream has something to send.
    package func callAsFunction() {
        wake()
    }
}

/// Framed messages waiting to be sent on a stream.
package struct StreamOutput: Sendable {
    /// The bytes written so far, each message with its 5-byte gRPC prefix.
    package private(set) var bytes: [UInt8]
    /// About how many bytes the transport wants in this round.
    package let budget: Int

    /// Creates an empty output that asks for about `budget` bytes.
    package init(budget: Int) {
        self.bytes = []
        self.budget = budget
    }

    /// True once the output holds at least `budget` bytes.
    package var isFull: Bool { bytes.count >= budget }

    /// Appends one serialized message with its gRPC length prefix.
    package mutating func append(message: [UInt8]) {
        GRPCMessageFramer.frame(message, into: &bytes)
    }

    /// Appends one message that `serialize` writes in place after its gRPC length prefix,
    /// saving the copy of a separately serialized message.
    package mutating func appendMessage(_ serialize: (inout [UInt8]) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: GRPCMessageFramer.prefixLength))
        serialize(&bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - start - GRPCMessageFramer.prefixLength)
        bytes[start + 1] = UInt8(truncatingIfNeeded: length >> 24)
        bytes[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[start + 3] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[start + 4] = UInt8(truncatingIfNeeded: length)
    }
}
