/// What a handler knows about the call it serves, besides the request message.
public struct ServerCallContext: Sendable {
    /// The full method path, such as `/workflow.v1.WorkflowService/StartWorkflow`.
    public let path: String
    /// The custom metadata the client sent.
    public let metadata: Metadata
    /// When the client stops waiting, from its `grpc-timeout`; nil without one.
    public let deadline: ContinuousClock.Instant?

    /// Creates a call context.
    public init(path: String, metadata: Metadata, deadline: ContinuousClock.Instant?) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
    }
}
