/// The server side of a call whose client streams its requests (client-streaming or
/// bidirectional): the transport hands it each request message as it arrives and pulls its
/// responses like any ``ServerStreamProducer``.
///
/// A bidirectional handler answers each request as it comes (queues the response, calls its
/// ``StreamWaker``); a client-streaming handler answers once, after ``requestsEnded()``.
/// Every method is called on the connection's thread; after ``ServerStreamProducer/cancel()``
/// no more calls follow.
package protocol RequestStreamHandler: ServerStreamProducer {
    /// One request message arrived.
    /// - Throws: A status that ends the call at once (after what was already produced).
    func receive(_ message: [UInt8]) throws(RPCStatus)

    /// The client finished sending: no more ``receive(_:)`` calls follow.
    func requestsEnded()
}
