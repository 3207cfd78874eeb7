/// The request messages of a client-streaming call, pulled one at a time on the connection's
/// event loop as HTTP/2 flow control lets them out, so a client streams a file of any size
/// while holding one message of it.
///
/// ```swift
/// final class Chunks: ClientRequestStream {
///     func nextMessage() -> [UInt8]? { /* the next serialized message, or nil at the end */ }
/// }
/// let response = try await client.clientStreaming(path: "/workflow.v1.WorkflowService/UploadFile", requests: Chunks())
/// ```
package protocol ClientRequestStream: AnyObject, Sendable {
    /// The next serialized request message; `nil` once there are no more (the request ends).
    /// Called on the connection's event loop: keep it short (a file read of a chunk is fine).
    func nextMessage() -> [UInt8]?
}
