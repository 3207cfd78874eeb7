/// What a handler knows about the call it serves, besides the request message.
package struct ServerCallContext: Sendable {
    /// The full method path, such as `/workflow.v1.WorkflowService/StartWorkflow`.
    package let path: String
    /// The custom metadata the client sent.
    package let metadata: Metadata
    /// When the client stops waiting, from its `grpc-timeout`; nil without one.
    package let deadline: ContinuousClock.Instant?

    /// Creates a call context.
    package init(path: String, metadata: Metadata, deadline: ContinuousClock.Instant?) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
    }
}
