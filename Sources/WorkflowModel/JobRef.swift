/// Identifies the job a ``LogEvent`` is about.
public struct JobRef: Sendable, Hashable {
    /// The job's id.
    public var id: String
    /// The job's name, e.g. "Process Data".
    public var name: String
    /// Zero-based position of the job in its workflow.
    public var position: Int

    /// Creates a job reference.
    public init(id: String, name: String, position: Int) {
        self.id = id
        self.name = name
        self.position = position
    }
}
