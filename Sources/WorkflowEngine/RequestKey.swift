import WorkflowModel

/// What makes a start request idempotent: its user and its request id. Keyed by both, one
/// user's request id never finds, or names, another user's workflow.
struct RequestKey: Hashable, Sendable {
    var userID: String
    var requestID: String

    init(userID: String, requestID: String) {
        self.userID = userID
        self.requestID = requestID
    }

    init(_ request: WorkflowRequest) {
        self.init(userID: request.userID, requestID: request.requestID)
    }
}
