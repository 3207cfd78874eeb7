/// What a caller asks for when it starts a workflow: the input of a start.
///
/// ```swift
/// let request = WorkflowRequest(
///     type: "IMPORT_ASSETS",
///     params: ["file_path": "/data/assets.csv"],
///     userID: "u-42", userName: "ada@example.com",
///     summary: "Import Gold Mine"
/// )
/// ```
public struct WorkflowRequest: Sendable, Hashable {
    /// A registered workflow type such as `IMPORT_ASSETS` or `TEST`.
    public var type: String
    /// Parameters for the workflow's jobs.
    public var params: [String: String]
    /// Who starts the workflow.
    public var userID: String
    /// Display name of who starts the workflow.
    public var userName: String
    /// Human-readable summary, e.g. "Import Gold Mine".
    public var summary: String
    /// Optional caller-chosen id that makes retries of the start safe (empty if none).
    public var requestID: String

    /// Creates a request.
    public init(
        type: String,
        params: [String: String] = [:],
        userID: String = "",
        userName: String = "",
        summary: String = "",
        requestID: String = ""
    ) {
        self.type = type
        self.params = params
        self.userID = userID
        self.userName = userName
        self.summary = summary
        self.requestID = requestID
    }
}
