/// What a handler knows about the call it serves, besides the request message.
package struct ServerCallContext: Sendable {
    /// The full method path, such as `/workflow.v1.WorkflowService/StartWorkflow`.
    package let path: String
    /// The custom metadata the client sent.
    package let metadata: Metadata
    /// When the client stops waiting, from its `grpc-timeout`; nil without one.
    package let deadline: ContinuousClock.Instant?
    /// Under mutual TLS, the identity of the client certificate the handshake verified (its
    /// subject's common name, else the whole subject); nil otherwise.
    package let peerIdentity: String?

    /// Creates a call context.
    package init(path: String, metadata: Metadata, deadline: ContinuousClock.Instant?, peerIdentity: String? = nil) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.peerIdentity = peerIdentity
    }
}
